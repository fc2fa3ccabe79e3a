import { styleText } from 'node:util';

/** Where command output goes; tests capture it. */
export interface Output {
  readonly json: boolean;
  readonly isTTY: boolean;
  /** Human line (suppressed in --json mode). */
  line(text?: string): void;
  /** The one JSON document a command prints in --json mode. */
  data(value: unknown): void;
  /** Diagnostics to stderr (always). */
  error(text: string): void;
  /** Transient progress line on a TTY (stderr). */
  progress(text: string): void;
  endProgress(): void;
}

export function createOutput(options: {
  json: boolean;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const isTTY = Boolean(stderr.isTTY) && !options.json;
  let progressShown = false;
  return {
    json: options.json,
    isTTY,
    line: (text = '') => {
      if (!options.json) stdout.write(text + '\n');
    },
    data: (value) => {
      stdout.write(JSON.stringify(value, null, 2) + '\n');
    },
    error: (text) => {
      stderr.write(text + '\n');
    },
    progress: (text) => {
      if (!isTTY) return;
      stderr.write('\r\x1b[2K' + text);
      progressShown = true;
    },
    endProgress: () => {
      if (progressShown) stderr.write('\r\x1b[2K');
      progressShown = false;
    },
  };
}

type Color = Parameters<typeof styleText>[0];
/** Colour only when the stream is a TTY (styleText honours NO_COLOR/FORCE_COLOR). */
export function paint(color: Color, text: string): string {
  return styleText(color, text, { validateStream: true, stream: process.stdout });
}

/** A plain aligned text table. */
export function renderTable(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))));
  const widths = headers.map((h, i) => Math.min(48, Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length))));
  const fit = (s: string, w: number) => (s.length > w ? s.slice(0, w - 1) + '…' : s.padEnd(w));
  const head = headers.map((h, i) => fit(h, widths[i] ?? h.length)).join('  ');
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  const body = cells.map((r) =>
    r
      .map((c, i) => fit(c, widths[i] ?? c.length))
      .join('  ')
      .trimEnd(),
  );
  return [head.trimEnd(), sep, ...body].join('\n');
}

export function formatUsd(n: number): string {
  return n === 0 ? '$0' : n < 0.01 ? `$${n.toFixed(5)}` : `$${n.toFixed(2)}`;
}
