import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { memoryReducingGc, type FullCollection } from './idle-collector.js';

/** Node/V8 flags that size the young generation: when the operator set one, autod leaves the young generation alone. */
const YOUNG_GENERATION_FLAG = /--(?:max|min)[-_]semi[-_]space[-_]size|--semi[-_]space[-_]growth[-_]factor/;

export interface SmallYoungGenerationOptions {
  /** The process's Node flags (default `process.execArgv`). */
  execArgv?: readonly string[];
  /** `NODE_OPTIONS` (default the environment's). */
  nodeOptions?: string | undefined;
  /** Sets a V8 flag (default `v8.setFlagsFromString`). */
  setFlags?: (flags: string) => void;
  /** The collection that shrinks the young generation (default {@link memoryReducingGc}). */
  collect?: FullCollection;
  /** Bytes the young generation holds (default: `new_space` of `v8.getHeapSpaceStatistics()`). */
  youngBytes?: () => number;
}

export type SmallYoungGenerationResult =
  { kept: true; youngBeforeBytes: number; youngAfterBytes: number } | { kept: false; reason: string };

const newSpaceBytes = (): number =>
  getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;

/**
 * Keeps the server's V8 young generation at its smallest, once start-up is over.
 *
 * Loading the server's modules grows V8's young generation to its maximum (64 MiB on Node's 64-bit builds) and it
 * stays there. V8 starts an incremental full collection whenever the old generation's headroom is smaller than the
 * young generation (a scavenge could promote all of it), so with ~40 MiB of headroom the server's main thread marks
 * its whole heap over and over — about once per 100 ms under an upload load, whether or not it made garbage: every
 * 1 MB upload cost ~3 ms of V8 helper-thread CPU and the server accepted a third fewer uploads than it could. This
 * shrinks the young generation once (a memory-reducing collection) and stops V8 from growing it again (the process's
 * `--semi-space-growth-factor=1`): short-lived request garbage is then collected by cheap scavenges, full
 * collections happen when the old generation really grows, and the server's resident memory drops by the same ~60 MiB.
 * The flag is process-wide: the extraction worker threads started later keep a small young generation too (their
 * extraction costs a few percent more CPU). An operator who sizes the young generation themselves
 * (`--max-semi-space-size`, `--min-semi-space-size`, `--semi-space-growth-factor`, on the command line or in
 * `NODE_OPTIONS`) keeps their setting: nothing is changed.
 */
export function keepYoungGenerationSmall(options: SmallYoungGenerationOptions = {}): SmallYoungGenerationResult {
  const flags = [...(options.execArgv ?? process.execArgv), options.nodeOptions ?? process.env['NODE_OPTIONS'] ?? ''];
  if (flags.some((flag) => YOUNG_GENERATION_FLAG.test(flag))) {
    return { kept: false, reason: 'the young generation is sized by the Node flags given' };
  }
  const youngBytes = options.youngBytes ?? newSpaceBytes;
  const youngBeforeBytes = youngBytes();
  (options.setFlags ?? setFlagsFromString)('--semi-space-growth-factor=1');
  (options.collect ?? memoryReducingGc())();
  return { kept: true, youngBeforeBytes, youngAfterBytes: youngBytes() };
}
