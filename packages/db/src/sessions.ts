import type { Knex } from 'knex';
import { affected, num, strOrNull, type RepoContext } from './context.js';

type Raw = Record<string, unknown>;

/** A stored web session: the hash of its id (never the id itself) and its lifetime. */
export interface SessionRow {
  idHash: string;
  createdAt: Date;
  expiresAt: Date;
  userAgent: string | null;
}

export interface SessionInput {
  /** SHA-256 (hex) of the session id the browser holds. */
  idHash: string;
  expiresAt: Date;
  userAgent?: string | null;
}

function toSessionRow(r: Raw): SessionRow {
  return {
    idHash: String(r['id_hash']),
    createdAt: new Date(num(r['created_at'])),
    expiresAt: new Date(num(r['expires_at'])),
    userAgent: strOrNull(r['user_agent']),
  };
}

/** Server-side web sessions (`web_sessions`). */
export class SessionRepository {
  constructor(private readonly ctx: RepoContext) {}

  private get knex(): Knex {
    return this.ctx.knex;
  }

  async create(input: SessionInput): Promise<SessionRow> {
    const row = {
      id_hash: input.idHash,
      created_at: this.ctx.now(),
      expires_at: input.expiresAt.getTime(),
      user_agent: input.userAgent ? input.userAgent.slice(0, 255) : null,
    };
    await this.knex('web_sessions').insert(row);
    return toSessionRow(row);
  }

  /** The session if it exists and has not expired (an expired one is deleted on the way). */
  async findActive(idHash: string): Promise<SessionRow | undefined> {
    const r: Raw | undefined = await this.knex('web_sessions').where('id_hash', idHash).first();
    if (!r) return undefined;
    const row = toSessionRow(r);
    if (row.expiresAt.getTime() <= this.ctx.now()) {
      await this.knex('web_sessions').where('id_hash', idHash).delete();
      return undefined;
    }
    return row;
  }

  /** Sign out; true when the session existed. */
  async delete(idHash: string): Promise<boolean> {
    return affected(await this.knex('web_sessions').where('id_hash', idHash).delete()) > 0;
  }

  /** Removes expired sessions; returns how many. */
  async purgeExpired(): Promise<number> {
    return affected(await this.knex('web_sessions').where('expires_at', '<=', this.ctx.now()).delete());
  }
}
