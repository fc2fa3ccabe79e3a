export { withMigrationRetry } from '@autod/db';
