#!/usr/bin/env node
// The `bkv` command. Runs the CLI bundle in dist/cli/ that scripts/build-cli.mjs builds at `npm ci` / `npm
// install` (the `prepare` script); if a source changed since, it is rebuilt first (a manifest of the inputs' sizes
// and mtimes makes that check cheap), and without esbuild or a writable dist/ the CLI runs under tsx's loader.
// Either way the password-recovery worker's path is passed to the CLI explicitly: the worker bundle beside the
// CLI bundle, or client/cli/vault-worker.ts (run under tsx in the worker).
import { pathToFileURL } from 'node:url';
import { build, fresh } from '../scripts/build-cli.mjs';

const argv = process.argv.slice(2);
const bundles = (await fresh()) ?? (await build());
if (bundles) {
  const { run } = await import(pathToFileURL(bundles.cli).href);
  process.exitCode = await run(argv, { vaultWorker: pathToFileURL(bundles['vault-worker']) });
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { run } = await import('../client/cli/program.ts');
  process.exitCode = await run(argv, { vaultWorker: new URL('../client/cli/vault-worker.ts', import.meta.url) });
}
