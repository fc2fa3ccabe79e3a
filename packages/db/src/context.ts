import type { Knex } from 'knex';
import type { StatementRunner } from './statements.js';

export type Dialect = 'sqlite' | 'postgres';

/** What every repository needs: an executor (the knex instance or a transaction) and a clock. */
export interface RepoContext {
  readonly knex: Knex;
  readonly dialect: Dialect;
  /** Epoch ms. */
  readonly now: () => number;
  /** The hot statements (every document runs them), prepared once per connection, on the same executor. */
  readonly sql: StatementRunner;
}

/** SQL for the UTC day (`YYYY-MM-DD`) or month (`YYYY-MM`) of the epoch-ms column `created_at`. */
export function utcPeriodSql(dialect: Dialect, period: 'day' | 'month'): string {
  const day = period === 'day';
  return dialect === 'postgres'
    ? `to_char(to_timestamp(created_at / 1000.0) AT TIME ZONE 'UTC', '${day ? 'YYYY-MM-DD' : 'YYYY-MM'}')`
    : `strftime('${day ? '%Y-%m-%d' : '%Y-%m'}', created_at / 1000, 'unixepoch')`;
}

/** SQL values come back as number, string (pg bigint/numeric) or bigint; make them numbers. */
export function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value !== '') return Number(value);
  return 0;
}

export function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

export function strOrNull(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function dateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : new Date(num(value));
}

/** JSON columns: text on SQLite, jsonb (already parsed) on PostgreSQL. */
export function parseJson<T>(value: unknown): T | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return JSON.parse(value) as T;
  return value as T;
}

export function toJson(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

/** Escape LIKE wildcards (used with `ESCAPE '\'`). */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Number of rows changed by an UPDATE/DELETE (knex returns a number on every dialect). */
export function affected(result: unknown): number {
  return typeof result === 'number' ? result : num(result);
}
