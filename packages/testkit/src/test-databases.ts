/**
 * Temporary databases for tests.
 *
 * PostgreSQL administration (CREATE/DROP DATABASE) speaks the wire protocol directly over
 * `node:net` (simple query protocol, trust / cleartext / md5 auth), so the testkit needs no
 * database driver of its own.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Admin URL of the test PostgreSQL server (override with AUTOD_TEST_PG_URL). */
export function testPostgresAdminUrl(): string {
  return process.env['AUTOD_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** A fresh SQLite file path in its own temp directory; `cleanup` removes the directory (WAL files too). */
export async function tempSqliteUrl(): Promise<{ url: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'autod-sqlite-'));
  return {
    url: join(dir, 'autod.db'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** True when the test PostgreSQL server accepts a connection and a query. */
export async function pgAvailable(adminUrl = testPostgresAdminUrl()): Promise<boolean> {
  try {
    await pgSimpleQuery(adminUrl, 'SELECT 1', 3000);
    return true;
  } catch {
    return false;
  }
}

/** CREATE DATABASE autod_test_<random>; `drop` removes it WITH (FORCE) (closing leftover connections). */
export async function createTempPostgres(
  adminUrl = testPostgresAdminUrl(),
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `autod_test_${randomBytes(6).toString('hex')}`;
  await pgSimpleQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await pgSimpleQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/**
 * Whether PostgreSQL-backed tests should run: true when reachable; when not reachable, throws
 * under CI (a missing service must fail the build) and otherwise warns and returns false.
 */
export async function requirePostgresUnlessLocal(adminUrl = testPostgresAdminUrl()): Promise<boolean> {
  if (await pgAvailable(adminUrl)) return true;
  const where = redact(adminUrl);
  if (process.env['CI'])
    throw new Error(`PostgreSQL is not reachable at ${where}, and CI is set: PostgreSQL tests must run in CI.`);
  console.warn(
    `[autod testkit] PostgreSQL is not reachable at ${where}: skipping PostgreSQL tests (they are required when CI is set).`,
  );
  return false;
}

function redact(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

/** Run one statement with the simple query protocol; resolves when the server is ready again. */
export async function pgSimpleQuery(urlString: string, sql: string, timeoutMs = 10_000): Promise<void> {
  const url = new URL(urlString);
  const user = decodeURIComponent(url.username || 'postgres');
  const password = decodeURIComponent(url.password);
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres';
  const socket = connect({ host: url.hostname || '127.0.0.1', port: Number(url.port || 5432) });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`PostgreSQL did not answer within ${timeoutMs} ms`)), timeoutMs);
      let buf = Buffer.alloc(0);
      let queried = false;
      let failure: Error | undefined;
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        socket.removeAllListeners('data');
        if (err) reject(err);
        else resolve();
      };
      socket.on('error', finish);
      socket.on('connect', () => socket.write(startupMessage(user, database)));
      socket.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 5) {
          const type = String.fromCharCode(buf[0] ?? 0);
          const len = buf.readInt32BE(1);
          if (buf.length < 1 + len) break;
          const body = buf.subarray(5, 1 + len);
          buf = buf.subarray(1 + len);
          if (type === 'R') {
            const kind = body.readInt32BE(0);
            if (kind === 3) socket.write(message('p', cstring(password)));
            else if (kind === 5) {
              const salt = body.subarray(4, 8);
              const inner = createHash('md5')
                .update(password + user)
                .digest('hex');
              const outer = createHash('md5')
                .update(Buffer.concat([Buffer.from(inner), salt]))
                .digest('hex');
              socket.write(message('p', cstring(`md5${outer}`)));
            } else if (kind !== 0)
              return finish(
                new Error(`Unsupported PostgreSQL authentication method ${kind} (use trust, password or md5)`),
              );
          } else if (type === 'E') {
            failure = new Error(`PostgreSQL: ${errorText(body)}`);
            if (!queried) return finish(failure);
          } else if (type === 'Z') {
            if (!queried) {
              queried = true;
              socket.write(message('Q', cstring(sql)));
            } else return finish(failure);
          }
        }
      });
    });
  } finally {
    socket.end(message('X', Buffer.alloc(0)));
    socket.destroy();
  }
}

function cstring(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
}

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function startupMessage(user: string, database: string): Buffer {
  const body = Buffer.concat([
    cstring('user'),
    cstring(user),
    cstring('database'),
    cstring(database),
    Buffer.from([0]),
  ]);
  const head = Buffer.alloc(8);
  head.writeInt32BE(body.length + 8, 0);
  head.writeInt32BE(196608, 4); // protocol 3.0
  return Buffer.concat([head, body]);
}

function errorText(body: Buffer): string {
  const fields: Record<string, string> = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const code = String.fromCharCode(body[i] ?? 0);
    const end = body.indexOf(0, i + 1);
    fields[code] = body.subarray(i + 1, end).toString('utf8');
    i = end + 1;
  }
  return `${fields['M'] ?? 'error'}${fields['C'] ? ` (${fields['C']})` : ''}`;
}
