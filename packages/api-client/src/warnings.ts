/** The caller's `onWarning`, guarded: an observer that throws never breaks a call. */
export class Warnings {
  readonly #onWarning: ((message: string, details: Record<string, unknown>) => void) | undefined;
  /** Causes already warned about (each once per client). */
  readonly #warned = new Set<string>();

  constructor(onWarning?: (message: string, details: Record<string, unknown>) => void) {
    this.#onWarning = onWarning;
  }

  /** Warn now. */
  say(message: string, details: Record<string, unknown>): void {
    try {
      this.#onWarning?.(message, details);
    } catch {
      // An observer must never break a call.
    }
  }

  /** Warn the first time `key` comes up, never again. */
  once(key: string, message: string, details: Record<string, unknown>): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.say(message, details);
  }
}
