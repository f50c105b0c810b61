// client/worker-script.ts: from source, a worker's script runs under tsx's loader registered in the worker (plain
// Node cannot parse the fixture's type annotation, nor find a `.ts` module a `.js` script imports by its `.js` name);
// an inline JavaScript script starts as it is; and with no bundle map defined (not the CLI bundle) a worker's script
// is its source. The bundle side is test/cli/bundle.test.ts.

import { expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { startWorker, workerScript } from '../../client/worker-script.js';

function firstMessage(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.once('message', (m) => void worker.terminate().then(() => resolve(m)));
    worker.once('error', reject);
  });
}

it('runs a TypeScript worker script under tsx, with its workerData', async () => {
  const worker = startWorker(new URL('./fixtures/typed-worker.ts', import.meta.url), { workerData: { n: 7 } });
  expect(await firstMessage(worker)).toEqual({ got: { n: 7 }, kind: 'object' });
});

it('runs a JavaScript source script under tsx too, so what it imports may be TypeScript', async () => {
  const worker = startWorker(new URL('./fixtures/js-worker-importing-ts.js', import.meta.url), { workerData: 21 });
  expect(await firstMessage(worker)).toBe(42);
});

it('starts a JavaScript worker script as it is', async () => {
  const script = new URL(`data:text/javascript,${encodeURIComponent("import { parentPort, workerData } from 'node:worker_threads'; parentPort.postMessage(workerData * 2);")}`);
  expect(await firstMessage(startWorker(script, { workerData: 21 }))).toBe(42);
});

it('names the source script when this code is not the CLI bundle', () => {
  const source = new URL('./fixtures/typed-worker.ts', import.meta.url);
  expect(workerScript('blob-worker', source)).toBe(source);
});
