/**
 * Seed settings autod does not have, with the reason (docs/configuration.md lists them; a config file that still
 * names one gets the reason instead of "unknown setting"). Environment variables of these names are ignored.
 */
export const DROPPED_SETTINGS: Readonly<Record<string, string>> = {
  BATCH_SIZE:
    'autod process takes every file it finds and runs AUTOD_CONCURRENCY of them at a time; autod batch pages through its items itself, so there is no per-pass file count to set.',
  PROCESSED_RETENTION_DAYS:
    'no cleanup job deletes data: the audit log is append-only (review corrections are audited) and the cost rows feed `autod costs`, the alerts and budgets, so deleting them after N days would make both lie. Prune old rows with SQL if you must.',
};
