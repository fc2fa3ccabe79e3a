import { setFlagsFromString } from 'node:v8';

/** The heap growing percentage set: V8 lets the old generation grow to 4× what survived a full collection. */
export const HEAP_GROWING_PERCENT = 300;

/** Node/V8 flags that size the heap's generations: when the operator set one, autod leaves the heap alone. */
const HEAP_SIZING_FLAG =
  /--(?:heap[-_]growing[-_]percent|(?:max|min)[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor)\b/;

export interface OldGenerationHeadroomOptions {
  /** The process's Node flags (default `process.execArgv`). */
  execArgv?: readonly string[];
  /** `NODE_OPTIONS` (default the environment's). */
  nodeOptions?: string | undefined;
  /** Sets a V8 flag (default `v8.setFlagsFromString`). */
  setFlags?: (flags: string) => void;
}

export type OldGenerationHeadroomResult = { set: true; flag: string } | { set: false; reason: string };

/**
 * Gives V8's old generation room to grow before the next full collection, so that the server's main thread does not
 * mark its whole heap over and over.
 *
 * V8 starts incremental marking as soon as the old generation's headroom (its allocation limit minus its size) is
 * smaller than the young generation, since one scavenge could promote all of it. Loading the server's modules grows
 * the young generation to its maximum (64 MiB on Node's 64-bit builds) and V8 keeps it, while V8's own growing factor
 * left the server's ~33 MB old generation only ~40 MiB of headroom: under a load of uploads the main thread ran a full
 * collection about every 100 ms, whatever it allocated, each marking the whole heap (~3 ms of V8 helper-thread CPU per
 * 1 MB upload). With `--heap-growing-percent=300` (read by V8 each time it sets the limit, so it works after start-up)
 * the limit after a full collection is 4× what survived it: the headroom is larger than the young generation and full
 * collections come when the old generation really grows. The flag is process-wide (the extraction worker threads
 * get it too). An operator who sizes the heap themselves (`--heap-growing-percent`, `--max-semi-space-size`,
 * `--min-semi-space-size`, `--semi-space-growth-factor`, on the command line or in `NODE_OPTIONS`) keeps their
 * setting: nothing is changed. `--max-old-space-size` still caps the heap.
 */
export function giveOldGenerationHeadroom(options: OldGenerationHeadroomOptions = {}): OldGenerationHeadroomResult {
  const flags = [...(options.execArgv ?? process.execArgv), options.nodeOptions ?? process.env['NODE_OPTIONS'] ?? ''];
  if (flags.some((flag) => HEAP_SIZING_FLAG.test(flag))) {
    return { set: false, reason: 'the heap is sized by the Node flags given' };
  }
  const flag = `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
  (options.setFlags ?? setFlagsFromString)(flag);
  return { set: true, flag };
}
