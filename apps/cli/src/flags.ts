import { ConfigError } from '@autod/errors';

/**
 * Validation of command-line values that are not settings (a flag that stands for a setting is handed to
 * `loadConfig` instead, see `CommandContext.useFlags`). Either way a bad value is `CFG_INVALID` (exit 78) with the
 * same `NAME: message (got "value")` line as a bad setting; a malformed command line (unknown option, missing
 * argument) stays a usage error (64).
 */
export function flagError(flag: string, message: string, got: unknown): ConfigError {
  const shown = typeof got === 'string' ? JSON.stringify(got) : String(got);
  return new ConfigError('CFG_INVALID', `Invalid command line (1 problem):\n  ${flag}: ${message} (got ${shown})`, {
    details: { issues: [{ name: flag, message, got: shown, source: 'override', sourceLabel: 'command line' }] },
  });
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A whole number in `[min, max]`; `undefined` when the flag was not given. */
export function intFlag(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const range = max === Number.MAX_SAFE_INTEGER ? `must be at least ${min}` : `must be between ${min} and ${max}`;
  if (!NUMBER.test(value.trim())) throw flagError(flag, 'must be a whole number', value);
  const n = Number(value.trim());
  if (!Number.isInteger(n)) throw flagError(flag, 'must be a whole number', value);
  if (n < min || n > max) throw flagError(flag, range, value);
  return n;
}

/** A finite number (at least `min` when given); `undefined` when the flag was not given. */
export function numberFlag(value: string | undefined, flag: string, min?: number): number | undefined {
  if (value === undefined) return undefined;
  if (!NUMBER.test(value.trim())) throw flagError(flag, 'must be a number', value);
  const n = Number(value.trim());
  if (min !== undefined && n < min) throw flagError(flag, `must be at least ${min}`, value);
  return n;
}

/** A calendar date YYYY-MM-DD; `undefined` when the flag was not given. */
export function dateFlag(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  const day = new Date(`${value}T00:00:00Z`);
  const ok = /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(day.getTime()) && day.toISOString().startsWith(value);
  if (!ok) throw flagError(flag, 'must be a date YYYY-MM-DD', value);
  return value;
}

/** One of `choices` (case-insensitive); `undefined` when the flag was not given. */
export function choiceFlag<const T extends string>(
  value: string | undefined,
  flag: string,
  choices: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  const hit = choices.find((c) => c.toLowerCase() === v);
  if (!hit) throw flagError(flag, `must be one of ${choices.join(', ')}`, value);
  return hit;
}
