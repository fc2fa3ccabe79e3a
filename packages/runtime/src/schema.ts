import { batchMigrationStatus, migrateBatchTables } from '@autod/batch';
import { prepareMigrationTables, withMigrationRetry, type Database } from '@autod/db';
import { migrateVectorStore, VECTOR_MIGRATIONS_TABLE, vectorStoreMigrationStatus } from '@autod/vector-store';

/** One migration of one part of the schema. */
export interface SchemaMigration {
  /** `documents` (the app's tables), `vector-store` (search index), `batches` (batch runs). */
  set: 'documents' | 'vector-store' | 'batches';
  name: string;
  applied: boolean;
}

/**
 * Apply every pending migration of every part of the schema: the documents tables, the vector index and the batch
 * tables (`autod migrate`). Works on a fresh SQLite or PostgreSQL database. Returns the names applied, in order.
 */
export async function migrateSchema(db: Database): Promise<{ set: SchemaMigration['set']; name: string }[]> {
  const applied: { set: SchemaMigration['set']; name: string }[] = [];
  for (const name of await withMigrationRetry(() => db.migrate.latest())) applied.push({ set: 'documents', name });
  for (const name of await withMigrationRetry(async () => {
    await prepareMigrationTables(db.knex, VECTOR_MIGRATIONS_TABLE);
    return migrateVectorStore(db.knex);
  }))
    applied.push({ set: 'vector-store', name });
  for (const name of await migrateBatchTables(db)) applied.push({ set: 'batches', name });
  return applied;
}

/** Every migration of every part of the schema and whether it is applied (`autod migrate status`). */
export async function schemaStatus(db: Database): Promise<SchemaMigration[]> {
  const documents = await withMigrationRetry(() => db.migrate.status());
  const vectors = await withMigrationRetry(async () => {
    await prepareMigrationTables(db.knex, VECTOR_MIGRATIONS_TABLE);
    return vectorStoreMigrationStatus(db.knex);
  });
  const batches = await withMigrationRetry(() => batchMigrationStatus(db));
  return [
    ...documents.map((m) => ({ set: 'documents' as const, ...m })),
    ...vectors.map((m) => ({ set: 'vector-store' as const, ...m })),
    ...batches.map((m) => ({ set: 'batches' as const, ...m })),
  ];
}
