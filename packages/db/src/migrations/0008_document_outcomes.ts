import type { Knex } from 'knex';

/** Statuses before and after this migration (the `documents.status` CHECK constraint). */
const BEFORE = ['processing', 'completed', 'failed'] as const;
const AFTER = ['processing', 'waiting', 'completed', 'failed'] as const;

/**
 * Every outcome in the database:
 * - status `waiting`: a deferred document (transient upstream trouble, the per-document deadline, a shutdown, a crash)
 *   is no longer left `processing`;
 * - `strikes`: attempts that ended without a result (the process died holding the claim, or the per-document deadline
 *   passed); at `FAILED_RETRY_ATTEMPTS` the document is set aside in `failed/`;
 * - `retry_at`: when a waiting document is tried next (epoch ms).
 *
 * SQLite cannot alter a CHECK constraint, so the table is rebuilt (SQLite's documented procedure: foreign keys off, new
 * table, copy, drop, rename, indexes and triggers again). That must run outside knex's migration transaction because
 * `PRAGMA foreign_keys` is a no-op inside one (and a DROP TABLE with foreign keys on would cascade-delete the attempts).
 */
export const config = { transaction: false };

export async function up(knex: Knex): Promise<void> {
  if (isPostgres(knex)) {
    await knex.transaction(async (trx) => {
      await replaceStatusCheckPg(trx, AFTER);
      await trx.schema.alterTable('documents', (t) => {
        t.integer('strikes').notNullable().defaultTo(0);
        t.bigInteger('retry_at').nullable();
      });
    });
    return;
  }
  await rebuildSqliteDocuments(
    knex,
    (sql) => replaceStatusList(sql, AFTER),
    async (trx) => {
      // Plain ADD COLUMN (no rebuild) inside the same transaction.
      await trx.raw('ALTER TABLE documents ADD COLUMN strikes integer NOT NULL DEFAULT 0');
      await trx.raw('ALTER TABLE documents ADD COLUMN retry_at bigint NULL');
    },
  );
}

export async function down(knex: Knex): Promise<void> {
  // `waiting` documents become what they were before: released claims anyone may take.
  const demote = (q: Knex) =>
    q('documents').where('status', 'waiting').update({ status: 'processing', lease_expires_at: 0 });
  if (isPostgres(knex)) {
    await knex.transaction(async (trx) => {
      await demote(trx);
      await trx.schema.alterTable('documents', (t) => {
        t.dropColumn('strikes');
        t.dropColumn('retry_at');
      });
      await replaceStatusCheckPg(trx, BEFORE);
    });
    return;
  }
  await knex.transaction(async (trx) => {
    await demote(trx);
    // SQLite ≥ 3.35 drops a column in place (both drivers bundle a newer SQLite).
    await trx.raw('ALTER TABLE documents DROP COLUMN strikes');
    await trx.raw('ALTER TABLE documents DROP COLUMN retry_at');
  });
  await rebuildSqliteDocuments(knex, (sql) => replaceStatusList(sql, BEFORE));
}

function isPostgres(knex: Knex): boolean {
  return (knex.client as { dialect?: string }).dialect === 'postgresql';
}

function statusList(statuses: readonly string[]): string {
  return statuses.map((s) => `'${s}'`).join(', ');
}

/** Rewrite the `status in (...)` list of the table's CREATE statement. */
function replaceStatusList(sql: string, statuses: readonly string[]): string {
  const re = /([`"]?status[`"]?\s+in\s*\()[^)]*\)/i;
  if (!re.test(sql)) throw new Error('documents.status has no CHECK constraint to replace');
  return sql.replace(re, `$1${statusList(statuses)})`);
}

async function replaceStatusCheckPg(trx: Knex.Transaction, statuses: readonly string[]): Promise<void> {
  const found = await trx.raw<{ rows: { conname: string }[] }>(
    `SELECT conname FROM pg_constraint
      WHERE conrelid = 'documents'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) ILIKE '%status%'`,
  );
  for (const { conname } of found.rows) await trx.raw('ALTER TABLE documents DROP CONSTRAINT ??', [conname]);
  await trx.raw(
    `ALTER TABLE documents ADD CONSTRAINT documents_status_check CHECK (status IN (${statusList(statuses)}))`,
  );
}

type Rows = Record<string, unknown>[];

/** Rows of a raw SQLite statement (both drivers return an array of row objects). */
async function rows(q: Knex | Knex.Transaction, sql: string): Promise<Rows> {
  return q.raw<Rows>(sql);
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Rebuild `documents` with a rewritten CREATE statement, keeping every row (ids included, so the FTS index and the
 * vector index stay valid), the AUTOINCREMENT counter, the indexes and the FTS triggers.
 */
async function rebuildSqliteDocuments(
  knex: Knex,
  rewrite: (createSql: string) => string,
  after?: (trx: Knex.Transaction) => Promise<void>,
): Promise<void> {
  const fk = await rows(knex, 'PRAGMA foreign_keys');
  const fkWasOn = Number(fk[0]?.['foreign_keys'] ?? 0) === 1;
  await knex.raw('PRAGMA foreign_keys = OFF');
  try {
    await knex.transaction(async (trx) => {
      const table = await rows(trx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'documents'`);
      const createSql = text(table[0]?.['sql']);
      if (!createSql) throw new Error('no documents table to rebuild');
      const dependents = await rows(
        trx,
        `SELECT sql FROM sqlite_master WHERE tbl_name = 'documents' AND type IN ('index', 'trigger') AND sql IS NOT NULL`,
      );
      const seq = await rows(trx, `SELECT seq FROM sqlite_sequence WHERE name = 'documents'`);
      const rebuilt = rewrite(createSql).replace(
        /^CREATE TABLE\s+[`"]?documents[`"]?/i,
        'CREATE TABLE `documents__rebuild`',
      );
      await trx.raw(rebuilt);
      await trx.raw('INSERT INTO documents__rebuild SELECT * FROM documents');
      await trx.raw('DROP TABLE documents');
      await trx.raw('ALTER TABLE documents__rebuild RENAME TO documents');
      for (const d of dependents) await trx.raw(text(d['sql']));
      const last = seq.length > 0 ? Number(seq[0]?.['seq'] ?? 0) : undefined;
      if (last !== undefined) {
        await trx.raw(`UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'documents'`, [last]);
        await trx.raw(
          `INSERT INTO sqlite_sequence (name, seq) SELECT 'documents', ? WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'documents')`,
          [last],
        );
      }
      if (after) await after(trx);
      const violations = await rows(trx, 'PRAGMA foreign_key_check');
      if (violations.length > 0) throw new Error(`rebuilding documents broke ${violations.length} foreign keys`);
    });
  } finally {
    if (fkWasOn) await knex.raw('PRAGMA foreign_keys = ON');
  }
}
