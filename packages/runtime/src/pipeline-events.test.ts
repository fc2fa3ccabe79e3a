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

  it('relays the events of a pipeline that ran elsewhere to the listeners and the alert rules, not the metrics', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autod-relay-'));
    const runtime = await createRuntime(
      loadConfig({ env: { AUTOD_DATA_DIR: dir, AUTOD_OCR: 'false' }, cwd: dir, envFile: false }),
    );
    try {
      const events: PipelineEvent[] = [];
      runtime.onPipelineEvent((e) => events.push(e));
      const recorded: boolean[] = [];
      const failed: string[] = [];
      const alerts = runtime.alerts;
      const recordRequest = alerts.recordRequest.bind(alerts);
      alerts.recordRequest = (ok, ms) => {
        recorded.push(ok);
        recordRequest(ok, ms);
      };
      alerts.recordFailedDocument = (info) => failed.push(`${info.fileName} ${info.code}`);
      const error = {
        name: 'InputError',
        code: 'INPUT_EMPTY',
        category: 'input',
        message: 'empty',
        hint: '',
        retryable: false,
      } as const;
      const relayed: PipelineEvent[] = [
        { type: 'file.started', path: '/inbox/a.pdf' },
        { type: 'file.finished', durationMs: 5, outcome: { kind: 'skipped', path: '/inbox/a.pdf', reason: 'held' } },
        {
          type: 'file.finished',
          durationMs: 7,
          outcome: {
            kind: 'failed',
            path: '/inbox/b.pdf',
            sha256: null,
            documentId: null,
            destination: '/failed/b.pdf',
            error,
          },
        },
      ];
      for (const e of relayed) runtime.relayPipelineEvent(e);
      expect(events).toEqual(relayed);
      expect(recorded).toEqual([false]);
      expect(failed).toEqual(['b.pdf INPUT_EMPTY']);
      // Counted where it ran: this process's document metrics do not move.
      expect(await runtime.metrics.metrics()).not.toMatch(/^autod_documents_processed_total\{/m);
    } finally {
      await runtime.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
