import type { Knex } from 'knex';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_fulltext.js';
import * as m0003 from './0003_original_media.js';
import * as m0005 from './0005_extraction_fields.js';
import * as m0006 from './0006_corrections.js';
import * as m0007 from './0007_sessions.js';
import * as m0008 from './0008_document_outcomes.js';
import * as m0009 from './0009_spend_ledger.js';
import * as m0010 from './0010_attempt_results.js';

interface NamedMigration {
  readonly name: string;
  readonly migration: Knex.Migration;
}

/** Every migration, in order. Listed in code so they run from `src/` (tests) and `dist/` alike. */
export const MIGRATIONS: readonly NamedMigration[] = [
  { name: '0001_initial', migration: m0001 },
  { name: '0002_fulltext', migration: m0002 },
  { name: '0003_original_media', migration: m0003 },
  { name: '0005_extraction_fields', migration: m0005 },
  { name: '0006_corrections', migration: m0006 },
  { name: '0007_sessions', migration: m0007 },
  { name: '0008_document_outcomes', migration: m0008 },
  { name: '0009_spend_ledger', migration: m0009 },
  { name: '0010_attempt_results', migration: m0010 },
];

/** The knex `migrationSource` over {@link MIGRATIONS}. */
export const migrationSource: Knex.MigrationSource<NamedMigration> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: (m) => m.name,
  getMigration: async (m) => m.migration,
};

/** Name of knex's bookkeeping table. */
export const MIGRATIONS_TABLE = 'autod_migrations';
