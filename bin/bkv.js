#!/usr/bin/env node
// The `bkv` command. Bundles the TypeScript CLI (client/cli/main.ts, plus the password-recovery worker
// client/cli/vault-worker.ts; packages stay external) with esbuild, which tsx depends on, into
// node_modules/.cache/bkv/, and runs that bundle. Compared with tsx's ESM loader this needs no loader thread:
// ~30 MiB less peak RSS and ~1 s less start-up, which matters for the CLI's memory bound. `import.meta.url` in
// each source file keeps naming that source file, so worker scripts (client/age/chunk-worker.js) resolve as
// before. Bundles are named by the hash of their content; a manifest of the inputs' sizes and mtimes lets a run
// whose sources did not change skip esbuild entirely. Falls back to tsx's loader when esbuild or the cache
// directory is missing (then password recovery runs on the main thread). Code splitting keeps dynamic imports
// lazy (the vault client and its OPAQUE WASM load only for commands that talk to the vault: ~14 MiB less RSS
// for the others); the shared chunks sit beside the entries and are listed in the manifest.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entries = { cli: join(root, 'client/cli/main.ts'), 'vault-worker': join(root, 'client/cli/vault-worker.ts') };
const cacheDir = join(root, 'node_modules/.cache/bkv');
const manifestPath = join(cacheDir, 'manifest.json');
const STALE_MS = 24 * 3600 * 1000;

/** The cached bundles, if the manifest's inputs all still have the recorded size and mtime. */
async function fresh() {
  try {
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    const checks = await Promise.all(Object.entries(manifest.inputs).map(async ([path, [size, mtimeMs]]) => {
      const st = await stat(join(root, path));
      return st.size === size && st.mtimeMs === mtimeMs;
    }));
    if (!checks.every(Boolean)) return undefined;
    await Promise.all([...Object.keys(entries).map((name) => manifest.bundles[name]), ...manifest.chunks].map((file) => stat(file)));
    return manifest.bundles;
  } catch {
    return undefined;
  }
}

/** Keeps each repo source file's own `import.meta.url` (and dirname/filename) inside the bundle. */
const keepImportMeta = {
  name: 'keep-import-meta',
  setup(build) {
    build.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
      if (args.path.includes(join(root, 'node_modules'))) return undefined;
      const text = await readFile(args.path, 'utf8');
      const contents = text
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
        .replaceAll('import.meta.filename', JSON.stringify(args.path));
      return { contents, loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
    });
  },
};

async function writeAtomic(path, text) {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, path);
}

/** Content-named files never change: written only when missing. */
async function writeOnce(path, contents) {
  if (!(await stat(path).then(() => true, () => false))) await writeAtomic(path, contents);
}

async function bundle() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return undefined;
  }
  let result;
  try {
    result = await esbuild.build({
      entryPoints: entries, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external',
      splitting: true, chunkNames: 'chunk-[hash]', outdir: cacheDir, outExtension: { '.js': '.mjs' }, write: false,
      logLevel: 'silent', plugins: [keepImportMeta], absWorkingDir: root, metafile: true,
    });
  } finally {
    await esbuild.stop?.();
  }
  try {
    await mkdir(cacheDir, { recursive: true });
    const bundles = {};
    const chunks = [];
    const ours = new Set(Object.values(entries));
    const entryOutputs = new Set(Object.entries(result.metafile.outputs).filter(([, o]) => o.entryPoint !== undefined && ours.has(join(root, o.entryPoint))).map(([path]) => join(root, path)));
    for (const out of result.outputFiles) {
      // Entries get a content-hashed name here; chunks already have one (the entries import them by it).
      if (!entryOutputs.has(out.path)) {
        await writeOnce(out.path, out.contents);
        chunks.push(out.path);
        continue;
      }
      const name = basename(out.path, '.mjs');
      const file = join(cacheDir, `${name}-${createHash('sha256').update(out.contents).digest('hex').slice(0, 16)}.mjs`);
      await writeOnce(file, out.contents);
      bundles[name] = file;
    }
    const inputs = {};
    for (const input of Object.keys(result.metafile.inputs)) {
      const st = await stat(join(root, input));
      inputs[input] = [st.size, st.mtimeMs];
    }
    await writeAtomic(manifestPath, JSON.stringify({ bundles, chunks, inputs }));
    const keep = new Set([manifestPath, ...Object.values(bundles), ...chunks]);
    const now = Date.now();
    for (const name of await readdir(cacheDir)) {
      const path = join(cacheDir, name);
      if (!keep.has(path) && now - (await stat(path).catch(() => ({ mtimeMs: now }))).mtimeMs > STALE_MS) await rm(path, { force: true });
    }
    return bundles;
  } catch {
    return undefined; // read-only install: use tsx
  }
}

const bundles = (await fresh()) ?? (await bundle());
if (bundles) {
  globalThis[Symbol.for('bkv.vaultWorker')] = bundles['vault-worker'];
  await import(pathToFileURL(bundles.cli).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../client/cli/main.ts');
}
