import { closeSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface RotatingFileOptions {
  /** Rotate when the file would grow past this many bytes (default 10 MiB, as the seed). */
  maxBytes?: number | undefined;
  /** How many rotated files (`app.log.1` … `app.log.N`) to keep (default 5). */
  maxFiles?: number | undefined;
}

/**
 * A small size-based rotating log file (`file`, `file.1`, … `file.N`, newest first),
 * written synchronously so nothing is lost on exit. Used as a pino destination.
 */
export class RotatingFileStream {
  readonly path: string;
  private readonly maxBytes: number;
  private readonly maxFiles: number;
  private fd: number;
  private size: number;

  constructor(path: string, options: RotatingFileOptions = {}) {
    this.path = path;
    this.maxBytes = Math.max(1, options.maxBytes ?? 10 * 1024 * 1024);
    this.maxFiles = Math.max(0, options.maxFiles ?? 5);
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
    this.size = statSync(path).size;
  }

  write(chunk: string): boolean {
    const bytes = Buffer.byteLength(chunk);
    if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
    writeSync(this.fd, chunk);
    this.size += bytes;
    return true;
  }

  flushSync(): void {
    // writes are synchronous; nothing is buffered
  }

  end(): void {
    closeSync(this.fd);
  }

  private rotate(): void {
    closeSync(this.fd);
    if (this.maxFiles === 0) {
      rmSync(this.path, { force: true });
    } else {
      rmSync(`${this.path}.${this.maxFiles}`, { force: true });
      for (let i = this.maxFiles - 1; i >= 1; i--) {
        try {
          renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
        } catch {
          // a gap in the sequence is fine
        }
      }
      renameSync(this.path, `${this.path}.1`);
    }
    this.fd = openSync(this.path, 'a');
    this.size = 0;
  }
}
