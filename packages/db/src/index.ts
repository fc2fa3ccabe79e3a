export {
  createDatabase,
  isConnectionError,
  DEFAULT_SQLITE_DRIVER,
  SQLITE_BUSY_TIMEOUT_MS,
  type Database,
  type DatabaseOptions,
  type DatabaseLogger,
  type Migrator,
  type MigrationStatus,
  type SqliteDriver,
} from './database.js';
export type { Dialect } from './context.js';
export { DocumentRepository, queryTokens } from './documents.js';
export { AttemptRepository } from './attempts.js';
export { AuditRepository } from './audit.js';
export { DuplicateRepository } from './duplicates.js';
export { CorrectionRepository } from './corrections.js';
export { SessionRepository, type SessionRow, type SessionInput } from './sessions.js';
export {
  SpendRepository,
  utcDayStart,
  utcMonthStart,
  type SpendRefusal,
  type SpendReserveInput,
  type SpendReserveResult,
  type SpendStatus,
  type SpendSummaryOptions,
  type SpendSummaryRow,
} from './spend.js';
export { MIGRATIONS, MIGRATIONS_TABLE } from './migrations/index.js';
export { isMigrationRace, withMigrationRetry } from './migrate-retry.js';
export { parseDatabaseUrl, redactDatabaseUrl, type ParsedDatabaseUrl } from './url.js';
export type {
  DocumentRow,
  ClaimInput,
  ClaimResult,
  CompleteInput,
  DeferInput,
  StrikeInput,
  DocumentFilter,
  DocumentOrderBy,
  ListOptions,
  PageOptions,
  SearchOptions,
  SearchHit,
  AttemptStatus,
  RecordAttemptInput,
  AttemptRow,
  AttemptWithResult,
  CostSummaryOptions,
  CostSummaryRow,
  CostTotals,
  AuditInput,
  AuditRow,
  DuplicateInput,
  DuplicateRow,
  CorrectionInput,
  CorrectionRow,
  ReviewedInput,
} from './types.js';
export { prepareMigrationTables } from './migration-tables.js';
