// Where a worker thread's script is, and how it starts. The worker scripts are TypeScript like the rest of the
// client. In the CLI bundle (scripts/build-cli.mjs) each one is a bundle of its own beside the CLI's, and the build
// defines __BKV_WORKER_BUNDLES__ (worker name → the bundle's file URL), so a worker starts from plain JavaScript
// with no loader. Run from source (tests, `npm start`, a program importing `bkv/client` under a TypeScript
// loader) the map is not defined: the worker runs its source under tsx's loader, registered inside the worker
// first (as client/cli/vault-recover.ts does for the password-recovery worker). That holds for a JavaScript source
// too (a `.js` file: what it imports may be TypeScript); only a bundle (`.mjs`) or an inline script runs as it is.

import { Worker, type WorkerOptions } from 'node:worker_threads';

declare const __BKV_WORKER_BUNDLES__: Readonly<Record<string, string>> | undefined;

/** The worker scripts the CLI build bundles, by name (scripts/build-cli.mjs names its worker entries the same). */
export type WorkerName = 'blob-worker' | 'chunk-worker';

/** The script of worker `name`: its bundle when this code runs from the CLI bundle, else `source`. */
export function workerScript(name: WorkerName, source: URL): URL {
  const bundles = typeof __BKV_WORKER_BUNDLES__ === 'object' ? __BKV_WORKER_BUNDLES__ : undefined;
  const href = bundles?.[name];
  return href === undefined ? source : new URL(href);
}

/** A worker running `script`: a bundle (`.mjs`) or inline script as it is, a source file under tsx's loader registered in the worker. */
export function startWorker(script: URL, options: WorkerOptions = {}): Worker {
  if (script.protocol !== 'file:' || !/\.[jt]s$/.test(script.pathname)) return new Worker(script, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const source = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(script.href)}); })`;
  return new Worker(source, { ...options, eval: true });
}
