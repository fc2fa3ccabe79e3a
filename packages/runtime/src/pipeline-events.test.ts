import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@autod/config';
import type { PipelineEvent } from '@autod/pipeline';
import { generateCorpus } from '@autod/testkit';
import { PipelineEventHub } from './pipeline-events.js';
import { createRuntime } from './runtime.js';

describe('PipelineEventHub', () => {
  it('delivers to every listener until it unsubscribes; a throwing listener breaks nothing', () => {
    const hub = new PipelineEventHub();
    const seen: string[] = [];
    hub.subscribe(() => {
      throw new Error('bad display');
    });
    const off = hub.subscribe((e) => seen.push(e.type));
    hub.emit({ type: 'file.started', path: '/x.pdf' });
    off();
    hub.emit({ type: 'file.started', path: '/y.pdf' });
    expect(seen).toEqual(['file.started']);
    expect(hub.size).toBe(1);
  });

  it("carries the runtime pipeline's events to onPipelineEvent listeners", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autod-events-'));
    const runtime = await createRuntime(
      loadConfig({ env: { AUTOD_DATA_DIR: dir, AUTOD_OCR: 'false' }, cwd: dir, envFile: false }),
    );
    try {
      const events: PipelineEvent[] = [];
      const off = runtime.onPipelineEvent((e) => events.push(e));
      const [doc] = await generateCorpus({ count: 1, seed: 7 });
      const path = join(runtime.config.paths.inbox, doc!.fileName);
      await writeFile(path, doc!.bytes);
      const outcome = await runtime.pipeline.processFile(path);
      off();
      expect(events[0]).toEqual({ type: 'file.started', path });
      const finished = events.find((e) => e.type === 'file.finished');
      expect(finished?.type === 'file.finished' && finished.outcome).toEqual(outcome);
      expect(events.some((e) => e.type === 'stage' && e.stage === 'extract')).toBe(true);
    } finally {
      await runtime.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
