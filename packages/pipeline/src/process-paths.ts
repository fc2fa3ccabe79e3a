import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pLimit from 'p-limit';
import { isCandidateFile } from './inbox-watcher.js';
import { summarize, type ProcessOutcome, type RunSummary } from './outcome.js';
import type { Pipeline } from './pipeline.js';

/** Expand files and folders (recursively, skipping hidden and side files) into a sorted list of files. */
export async function discoverFiles(inputs: string[], exclude: string[] = []): Promise<string[]> {
  const excluded = exclude.map((p) => resolve(p));
  const found = new Set<string>();
  const visit = async (path: string): Promise<void> => {
    const abs = resolve(path);
    if (excluded.some((e) => abs === e || abs.startsWith(e + '/'))) return;
    const s = await stat(abs);
    if (s.isDirectory()) {
      const entries = await readdir(abs);
      for (const entry of entries.sort()) {
        if (entry.startsWith('.')) continue;
        await visit(join(abs, entry));
      }
    } else if (s.isFile() && isCandidateFile(abs)) {
      found.add(abs);
    }
  };
  for (const input of inputs) await visit(input);
  return [...found].sort();
}

export interface ProcessPathsOptions {
  concurrency: number;
  signal?: AbortSignal;
  onOutcome?: (outcome: ProcessOutcome, done: number, total: number) => void;
}

/** Process a list of files with bounded concurrency; per-file errors never stop the run. */
export async function processFiles(
  pipeline: Pipeline,
  files: string[],
  options: ProcessPathsOptions,
): Promise<RunSummary> {
  const limit = pLimit(Math.max(1, options.concurrency));
  const outcomes: ProcessOutcome[] = [];
  let done = 0;
  await Promise.all(
    files.map((file) =>
      limit(async () => {
        if (options.signal?.aborted) return;
        const outcome = await pipeline.processFile(file, options.signal);
        outcomes.push(outcome);
        done++;
        options.onOutcome?.(outcome, done, files.length);
      }),
    ),
  );
  return summarize(outcomes);
}
