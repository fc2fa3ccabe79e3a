// A stand-in extraction worker for the pool's tests: "crash" in a path exits the thread, "slow" waits for an abort,
// anything else is answered at once; metrics count the files.
import { parentPort } from 'node:worker_threads';

let files = 0;
const snapshot = () => [
  {
    name: 'fake_files_total',
    help: 'files',
    type: 'counter',
    aggregator: 'sum',
    values: [{ value: files, labels: {} }],
  },
];
parentPort.on('message', (m) => {
  if (m.type === 'process') {
    if (m.path.includes('crash')) process.exit(3);
    files++;
    parentPort.postMessage({ type: 'event', event: { type: 'file.started', path: m.path } });
    if (m.path.includes('slow')) return;
    parentPort.postMessage({
      type: 'outcome',
      id: m.id,
      outcome: { kind: 'skipped', path: m.path, reason: 'ignored' },
    });
  } else if (m.type === 'abort') {
    parentPort.postMessage({
      type: 'outcome',
      id: m.id,
      outcome: { kind: 'skipped', path: m.reason, reason: 'aborted' },
    });
  } else if (m.type === 'metrics') {
    parentPort.postMessage({ type: 'metrics', id: m.id, snapshot: snapshot() });
  } else if (m.type === 'close') {
    parentPort.postMessage({ type: 'closed', snapshot: snapshot() });
    parentPort.close();
  }
});
parentPort.postMessage({ type: 'ready' });
