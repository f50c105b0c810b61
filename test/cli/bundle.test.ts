// The CLI bundle (scripts/build-cli.mjs): zod is bundled in, not imported from node_modules at run time (its ESM
// build is ~225 modules, ~130 ms of every command's start when loaded one by one), and every other package stays
// external. The manifest records the repository's own sources, the build script and the lockfile (the bundled zod's
// version), which is what `fresh()` checks.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { build, fresh, outDir } from '../../scripts/build-cli.mjs';

const importsOf = (code: string) => [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)"([^"]+)"/g)].map((m) => m[1]!);

it('bundles zod into the CLI chunks, keeps other packages external, and records no node_modules input', async () => {
  const bundles = (await fresh()) ?? (await build());
  expect(bundles).toBeDefined();
  const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as { bundles: Record<string, string>; chunks: string[]; inputs: Record<string, unknown> };
  const files = [...Object.values(manifest.bundles), ...manifest.chunks].map((f) => readFileSync(join(outDir, f), 'utf8'));
  const imports = new Set(files.flatMap(importsOf));
  const packages = [...imports].filter((s) => !s.startsWith('.') && !s.startsWith('node:'));
  expect(packages.filter((s) => s === 'zod' || s.startsWith('zod/'))).toEqual([]);
  expect(packages).toContain('commander');
  expect(files.some((code) => code.includes('ZodError'))).toBe(true);
  expect(Object.keys(manifest.inputs).filter((p) => p.startsWith('node_modules/'))).toEqual([]);
  expect(Object.keys(manifest.inputs)).toEqual(expect.arrayContaining(['client/cli/program.ts', 'scripts/build-cli.mjs', 'package-lock.json']));
});

it('bundles each worker script whole (node built-ins only) and names its bundle in the CLI, so no worker needs a loader', async () => {
  const bundles = (await fresh()) ?? (await build());
  expect(bundles).toBeDefined();
  const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as { bundles: Record<string, string>; chunks: string[] };
  const cliCode = [manifest.bundles.cli!, ...manifest.chunks].map((f) => readFileSync(join(outDir, f), 'utf8')).join('\n');
  for (const name of ['blob-worker', 'chunk-worker']) {
    const file = manifest.bundles[name];
    expect(file, name).toMatch(new RegExp(`^${name}-[0-9a-f]{16}\\.mjs$`));
    const code = readFileSync(join(outDir, file!), 'utf8');
    expect(importsOf(code).filter((s) => !s.startsWith('node:')), name).toEqual([]);
    expect(cliCode).toContain(JSON.stringify(pathToFileURL(join(outDir, file!)).href));
  }
});
