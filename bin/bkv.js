#!/usr/bin/env node
// The `bkv` command. Bundles the TypeScript CLI (client/cli/main.ts and what it imports from the repo; packages
// stay external) with esbuild, which tsx depends on, into node_modules/.cache/bkv/, and runs that bundle. Compared
// with tsx's ESM loader this needs no loader thread: ~30 MiB less peak RSS and ~1 s less start-up, which matters
// for the CLI's memory bound. `import.meta.url` in each source file keeps naming that source file, so worker
// scripts (client/age/chunk-worker.js) resolve as before. The bundle is named by the hash of its content, so a
// changed source gives a new bundle; a manifest of the inputs' sizes and mtimes lets a run whose sources did not
// change skip esbuild entirely. Falls back to tsx's loader when esbuild or the cache directory is missing.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'client/cli/main.ts');
const cacheDir = join(root, 'node_modules/.cache/bkv');
const manifestPath = join(cacheDir, 'manifest.json');
const STALE_MS = 24 * 3600 * 1000;

/** The cached bundle, if the manifest's inputs all still have the recorded size and mtime. */
async function fresh() {
  try {
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    const checks = await Promise.all(Object.entries(manifest.inputs).map(async ([path, [size, mtimeMs]]) => {
      const st = await stat(join(root, path));
      return st.size === size && st.mtimeMs === mtimeMs;
    }));
    if (!checks.every(Boolean)) return undefined;
    await stat(manifest.bundle);
    return manifest.bundle;
  } catch {
    return undefined;
  }
}

/** Keeps each repo source file's own `import.meta.url` (and dirname/filename) inside the bundle. */
const keepImportMeta = {
  name: 'keep-import-meta',
  setup(build) {
    build.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
      if (args.path.includes(`${join(root, 'node_modules')}`)) return undefined;
      const text = await readFile(args.path, 'utf8');
      const contents = text
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
        .replaceAll('import.meta.filename', JSON.stringify(args.path));
      return { contents, loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
    });
  },
};

async function bundle() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return undefined;
  }
  let code;
  let inputs;
  try {
    const result = await esbuild.build({
      entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external',
      write: false, logLevel: 'silent', plugins: [keepImportMeta], absWorkingDir: root, metafile: true,
    });
    code = result.outputFiles[0].text;
    inputs = Object.keys(result.metafile.inputs);
  } finally {
    await esbuild.stop?.();
  }
  const file = join(cacheDir, `cli-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
  try {
    await mkdir(cacheDir, { recursive: true });
    const exists = await stat(file).then(() => true, () => false);
    if (!exists) {
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(temp, code);
      await rename(temp, file);
    }
    const recorded = {};
    for (const input of inputs) {
      const st = await stat(join(root, input));
      recorded[input] = [st.size, st.mtimeMs];
    }
    const temp = `${manifestPath}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify({ bundle: file, inputs: recorded }));
    await rename(temp, manifestPath);
    const now = Date.now();
    for (const name of await readdir(cacheDir)) {
      const path = join(cacheDir, name);
      if (path !== file && path !== manifestPath && (now - (await stat(path).catch(() => ({ mtimeMs: now }))).mtimeMs) > STALE_MS) await rm(path, { force: true });
    }
  } catch {
    return undefined; // read-only install: use tsx
  }
  return file;
}

const bundled = (await fresh()) ?? (await bundle());
if (bundled) {
  await import(pathToFileURL(bundled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../client/cli/main.ts');
}
