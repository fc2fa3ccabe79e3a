import type { Knex } from 'knex';

/** knex bookkeeping table of this package's migrations (separate from the app's). */
export const VECTOR_MIGRATIONS_TABLE = 'autod_vector_migrations';

/** Table names (all prefixed `autod_vec_` / `autod_embedding_`). */
export const TABLES = {
  docs: 'autod_vec_docs',
  chunks: 'autod_vec_chunks',
  chunkTexts: 'autod_vec_chunk_texts',
  centroids: 'autod_vec_centroids',
  meta: 'autod_vec_meta',
  cache: 'autod_embedding_cache',
  openaiFiles: 'autod_vec_openai_files',
  lists: 'autod_vec_lists',
  changes: 'autod_vec_changes',
} as const;

/**
 * `autod_vec_lists.key` = list × 2^40 + chunk id: the rows of one IVF list are one contiguous
 * key range (in SQLite the key is the rowid, so a list is read from adjacent table pages).
 */
export const LIST_KEY_SPAN = 2 ** 40;

const initial: Knex.Migration = {
  async up(knex) {
    await knex.schema.createTable(TABLES.docs, (t) => {
      t.bigInteger('doc_id').primary();
      t.string('sha256', 64).notNullable();
      t.string('model', 128).notNullable();
      t.string('category', 128).notNullable();
      t.string('doc_type', 256).nullable();
      t.string('issuer', 512).nullable();
      t.string('issuer_lc', 512).nullable();
      t.string('primary_date', 10).nullable();
      t.double('total_amount').nullable();
      t.string('title', 512).nullable();
      /** sha256 of normalizeContentSignature(text, 512). */
      t.string('content_sig', 64).nullable();
      t.integer('chunk_count').notNullable().defaultTo(0);
      t.bigInteger('indexed_at').notNullable();
      t.index(['category'], 'autod_vec_docs_category');
      t.index(['doc_type'], 'autod_vec_docs_doc_type');
      t.index(['primary_date'], 'autod_vec_docs_primary_date');
      t.index(['total_amount'], 'autod_vec_docs_total_amount');
      t.index(['content_sig'], 'autod_vec_docs_content_sig');
    });
    await knex.schema.createTable(TABLES.chunks, (t) => {
      t.bigIncrements('id').primary();
      t.bigInteger('doc_id').notNullable();
      t.integer('chunk_no').notNullable();
      t.integer('page').notNullable();
      /** Embedding model (and size) of the vector; searches only compare vectors of the current model. */
      t.string('model', 128).notNullable();
      /** IVF list (nearest centroid); -1 = not assigned (exact scan). */
      t.integer('cluster').notNullable().defaultTo(-1);
      t.binary('embedding').notNullable();
      t.index(['doc_id'], 'autod_vec_chunks_doc');
      t.index(['cluster'], 'autod_vec_chunks_cluster');
    });
    await knex.schema.createTable(TABLES.chunkTexts, (t) => {
      t.bigInteger('doc_id').notNullable();
      t.integer('chunk_no').notNullable();
      t.integer('page').notNullable();
      t.text('text').notNullable();
      t.primary(['doc_id', 'chunk_no']);
    });
    await knex.schema.createTable(TABLES.centroids, (t) => {
      t.integer('cluster').primary();
      t.binary('vector').notNullable();
    });
    await knex.schema.createTable(TABLES.meta, (t) => {
      t.string('key', 64).primary();
      t.text('value').notNullable();
    });
    await knex.schema.createTable(TABLES.cache, (t) => {
      /** sha256(model \0 dimensions \0 text). */
      t.string('key', 64).primary();
      t.string('model', 128).notNullable();
      t.integer('dimensions').notNullable();
      t.binary('vector').notNullable();
      t.bigInteger('created_at').notNullable();
      t.index(['created_at'], 'autod_embedding_cache_created');
    });
    await knex.schema.createTable(TABLES.openaiFiles, (t) => {
      t.bigInteger('doc_id').primary();
      t.string('store_id', 128).notNullable();
      t.string('file_id', 128).notNullable();
      t.bigInteger('synced_at').notNullable();
    });
  },
  async down(knex) {
    for (const name of Object.values(TABLES).reverse())
      if (name !== TABLES.lists && name !== TABLES.changes) await knex.schema.dropTableIfExists(name);
  },
};

interface NamedMigration {
  readonly name: string;
  readonly migration: Knex.Migration;
}

/**
 * List-contiguous int8 copies of the vectors for the IVF coarse scan (exact float32 vectors stay
 * in `autod_vec_chunks` for re-ranking). Existing IVF training is dropped: the next training
 * (automatic, `optimize()` or `reindex`) fills the table; until then searches are exact.
 */
const lists: Knex.Migration = {
  async up(knex) {
    if ((knex.client as { dialect?: string }).dialect === 'postgresql') {
      await knex.schema.createTable(TABLES.lists, (t) => {
        t.bigInteger('key').primary();
        t.bigInteger('doc_id').notNullable();
        t.integer('chunk_no').notNullable();
        t.binary('qvec').notNullable();
        t.index(['doc_id'], 'autod_vec_lists_doc');
      });
    } else {
      // INTEGER PRIMARY KEY = the rowid: rows are stored in key order, i.e. grouped by list.
      await knex.raw(
        `CREATE TABLE ${TABLES.lists} (key INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL, chunk_no INTEGER NOT NULL, qvec BLOB NOT NULL)`,
      );
      await knex.raw(`CREATE INDEX autod_vec_lists_doc ON ${TABLES.lists} (doc_id)`);
    }
    await knex(TABLES.centroids).delete();
    await knex(TABLES.meta).whereIn('key', ['ivf_model', 'ivf_trained_count']).delete();
  },
  async down(knex) {
    await knex.schema.dropTableIfExists(TABLES.lists);
    await knex(TABLES.centroids).delete();
    await knex(TABLES.meta).whereIn('key', ['ivf_model', 'ivf_trained_count']).delete();
  },
};

/** Covering index for the usual date-range (+ amount) filter: counts and filtered scans read the index only. */
const dateAmount: Knex.Migration = {
  async up(knex) {
    await knex.schema.alterTable(TABLES.docs, (t) => {
      t.index(['primary_date', 'total_amount', 'doc_id'], 'autod_vec_docs_date_amount');
    });
  },
  async down(knex) {
    await knex.schema.alterTable(TABLES.docs, (t) => {
      t.dropIndex(['primary_date', 'total_amount', 'doc_id'], 'autod_vec_docs_date_amount');
    });
  },
};

/**
 * Change log of the IVF lists, so every process's in-memory copy of the lists follows writes made
 * by other processes: one row per document indexed or removed while the index is trained, and
 * `doc_id = -1` for a training (reload everything). Sequence numbers only grow (AUTOINCREMENT /
 * bigserial); old rows are pruned and `autod_vec_meta.changes_pruned_below` tells a process that
 * fell behind the pruning to reload everything.
 */
const changes: Knex.Migration = {
  async up(knex) {
    await knex.schema.createTable(TABLES.changes, (t) => {
      t.bigIncrements('seq').primary();
      t.bigInteger('doc_id').notNullable();
    });
  },
  async down(knex) {
    await knex.schema.dropTableIfExists(TABLES.changes);
  },
};

/**
 * Filters are evaluated in memory on the IVF lists (and the full-text side joins by primary key),
 * so the attribute indexes only cost writes: every indexed document put a random entry into each of
 * them (dates, amounts), which made every batch commit rewrite thousands of index pages. The
 * `cluster` column of the chunks is unused since v0002.
 */
const DROPPED_INDEXES: [table: string, name: string, columns: string[]][] = [
  [TABLES.docs, 'autod_vec_docs_category', ['category']],
  [TABLES.docs, 'autod_vec_docs_doc_type', ['doc_type']],
  [TABLES.docs, 'autod_vec_docs_primary_date', ['primary_date']],
  [TABLES.docs, 'autod_vec_docs_total_amount', ['total_amount']],
  [TABLES.docs, 'autod_vec_docs_date_amount', ['primary_date', 'total_amount', 'doc_id']],
  [TABLES.chunks, 'autod_vec_chunks_cluster', ['cluster']],
];
const fewerIndexes: Knex.Migration = {
  async up(knex) {
    for (const [, name] of DROPPED_INDEXES) await knex.raw(`DROP INDEX IF EXISTS ${name}`);
  },
  async down(knex) {
    for (const [table, name, columns] of DROPPED_INDEXES) {
      await knex.schema.alterTable(table, (t) => {
        t.index(columns, name);
      });
    }
  },
};

const MIGRATIONS: readonly NamedMigration[] = [
  { name: 'v0001_vector_store', migration: initial },
  { name: 'v0002_vector_lists', migration: lists },
  { name: 'v0003_docs_date_amount', migration: dateAmount },
  { name: 'v0004_vector_changes', migration: changes },
  { name: 'v0005_drop_attribute_indexes', migration: fewerIndexes },
];

const migrationSource: Knex.MigrationSource<NamedMigration> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: (m) => m.name,
  getMigration: async (m) => m.migration,
};

/** Apply this package's migrations to `knex` (SQLite or PostgreSQL); returns the names applied. */
export async function migrateVectorStore(knex: Knex): Promise<string[]> {
  const [, names] = (await knex.migrate.latest({ migrationSource, tableName: VECTOR_MIGRATIONS_TABLE })) as [
    number,
    string[],
  ];
  return names;
}

/** This package's migrations and whether each is applied (creates knex's bookkeeping table when missing). */
export async function vectorStoreMigrationStatus(knex: Knex): Promise<{ name: string; applied: boolean }[]> {
  const [completed] = (await knex.migrate.list({ migrationSource, tableName: VECTOR_MIGRATIONS_TABLE })) as [
    ({ name: string } | string)[],
    unknown[],
  ];
  const applied = new Set(completed.map((c) => (typeof c === 'string' ? c : c.name)));
  return MIGRATIONS.map((m) => ({ name: m.name, applied: applied.has(m.name) }));
}

/** The table with one row per indexed document (`doc_id` = the document's id): what "indexed" means. */
export const VECTOR_DOCS_TABLE = TABLES.docs;

/** Undo every migration of this package (drops its tables). */
export async function rollbackVectorStore(knex: Knex): Promise<void> {
  await knex.migrate.rollback({ migrationSource, tableName: VECTOR_MIGRATIONS_TABLE }, true);
}
