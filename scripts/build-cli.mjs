#!/usr/bin/env node
// Builds the `bkv` CLI bundle into dist/cli/ (gitignored): client/cli/program.ts and the password-recovery worker
// client/cli/vault-worker.ts, bundled by esbuild (packages stay external, except BUNDLED_PACKAGES). Runs as the
// `prepare` script, so `npm ci` and `npm install` build it; bin/bkv.js runs the bundle, and rebuilds it through
// `build()` when a source (or this script) changed since (`fresh()` compares the manifest's recorded sizes and
// mtimes, without loading esbuild).
// Compared with tsx's ESM loader the bundle needs no loader thread: ~30 MiB less peak RSS and ~1 s less
// start-up, which matters for the CLI's memory bound. `import.meta.url` in each source file keeps naming that
// source file (data files such as WebAssembly resolve as before). Entries are named by the hash of
// their content and written once, so a run still using the previous bundle is never disturbed by a rebuild.
// Code splitting keeps dynamic imports lazy (the vault client and its OPAQUE WASM load only for commands that
// talk to the vault: ~14 MiB less RSS for the others); the shared chunks sit beside the entries.
// The worker-thread scripts (`workers`) are bundled first, each whole (a worker loads one file, no chunks), and the
// CLI build defines __BKV_WORKER_BUNDLES__ as their file URLs, so client/worker-script.ts starts the bundle instead of
// the TypeScript source (which would need tsx's loader in every worker).
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entries = { cli: join(root, 'client/cli/program.ts'), 'vault-worker': join(root, 'client/cli/vault-worker.ts') };
/** Worker scripts started through client/worker-script.ts, by the names it uses. */
const workers = { 'blob-worker': join(root, 'client/repo/blobs/blob-worker.ts'), 'chunk-worker': join(root, 'client/age/chunk-worker.ts') };
const bundleNames = [...Object.keys(workers), ...Object.keys(entries)];
export const outDir = join(root, 'dist/cli');
const manifestPath = join(outDir, 'manifest.json');
const STALE_MS = 24 * 3600 * 1000;
/** This script, as the manifest names it: how the bundles are built is one of their inputs. */
const self = relative(root, fileURLToPath(import.meta.url));

/** The built bundles ({ cli, 'vault-worker', … } paths), if the manifest's inputs all still have the recorded size and mtime. */
export async function fresh() {
  try {
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    if (!(self in manifest.inputs)) return undefined;
    const checks = await Promise.all(Object.entries(manifest.inputs).map(async ([path, [size, mtimeMs]]) => {
      const st = await stat(join(root, path));
      return st.size === size && st.mtimeMs === mtimeMs;
    }));
    if (!checks.every(Boolean)) return undefined;
    await Promise.all([...bundleNames.map((name) => manifest.bundles[name]), ...manifest.chunks].map((file) => stat(join(outDir, file))));
    return Object.fromEntries(Object.entries(manifest.bundles).map(([name, file]) => [name, join(outDir, file)]));
  } catch {
    return undefined;
  }
}

/**
 * Packages bundled in rather than left external: zod's ESM build is ~225 small modules, and resolving, compiling
 * and linking them took ~130 ms of every command's start (`bkv --version` included); bundled, it is one chunk.
 */
const BUNDLED_PACKAGES = ['zod'];

/** Leaves every other package external (imported from node_modules at run time), as `packages: 'external'` would. */
const externalPackages = {
  name: 'external-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      const name = args.path.startsWith('@') ? args.path.split('/', 2).join('/') : args.path.split('/', 1)[0];
      if (args.kind === 'entry-point' || name.startsWith('node:') || BUNDLED_PACKAGES.includes(name)) return undefined;
      return { path: args.path, external: true };
    });
  },
};

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

/** Each entry of `named`: its name, its output's path and its content-hashed file name in outDir. */
function entryFiles(result, named) {
  const byEntry = new Map(Object.entries(result.metafile.outputs).filter(([, o]) => o.entryPoint !== undefined).map(([path, o]) => [join(root, o.entryPoint), join(root, path)]));
  return Object.entries(named).map(([name, source]) => {
    const output = byEntry.get(source);
    const contents = result.outputFiles.find((f) => f.path === output).contents;
    return { name, output, file: `${name}-${createHash('sha256').update(contents).digest('hex').slice(0, 16)}.mjs` };
  });
}

async function writeAtomic(path, text) {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, path);
}

/** Content-named files never change: written only when missing. */
async function writeOnce(path, contents) {
  if (!(await stat(path).then(() => true, () => false))) await writeAtomic(path, contents);
}

/** Bundles the CLI into dist/cli/; the bundles' paths, or undefined without esbuild or a writable dist/. */
export async function build() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return undefined;
  }
  const common = {
    bundle: true, platform: 'node', format: 'esm', target: 'node20', outdir: outDir, outExtension: { '.js': '.mjs' }, write: false,
    logLevel: 'silent', plugins: [externalPackages, keepImportMeta], absWorkingDir: root, metafile: true,
  };
  let results;
  try {
    const workerResult = await esbuild.build({ ...common, entryPoints: workers });
    const workerUrls = Object.fromEntries(entryFiles(workerResult, workers).map(({ name, file }) => [name, pathToFileURL(join(outDir, file)).href]));
    const cliResult = await esbuild.build({
      ...common, entryPoints: entries, splitting: true, chunkNames: 'chunk-[hash]', define: { __BKV_WORKER_BUNDLES__: JSON.stringify(workerUrls) },
    });
    results = [[workerResult, workers], [cliResult, entries]];
  } finally {
    await esbuild.stop?.();
  }
  try {
    await mkdir(outDir, { recursive: true });
    const bundles = {};
    const chunks = [];
    for (const [result, named] of results) {
      const entryOf = new Map(entryFiles(result, named).map((entry) => [entry.output, entry]));
      for (const out of result.outputFiles) {
        const entry = entryOf.get(out.path);
        // Entries get a content-hashed name (entryFiles); chunks already have one (the entries import them by it).
        if (entry === undefined) chunks.push(basename(out.path));
        else bundles[entry.name] = entry.file;
        await writeOnce(entry === undefined ? out.path : join(outDir, entry.file), out.contents);
      }
    }
    const inputs = {};
    // A bundled package (node_modules/…) is recorded as the lockfile, which names its version (where there is one).
    const lockfile = await stat(join(root, 'package-lock.json')).then(() => ['package-lock.json'], () => []);
    const sources = new Set(results.flatMap(([result]) => Object.keys(result.metafile.inputs)).filter((path) => !path.startsWith('node_modules/') && !path.startsWith('<')));
    for (const input of [self, ...lockfile, ...sources]) {
      const st = await stat(join(root, input));
      inputs[input] = [st.size, st.mtimeMs];
    }
    await writeAtomic(manifestPath, JSON.stringify({ bundles, chunks, inputs }));
    const keep = new Set(['manifest.json', ...Object.values(bundles), ...chunks]);
    const now = Date.now();
    for (const name of await readdir(outDir)) {
      const path = join(outDir, name);
      if (!keep.has(name) && now - (await stat(path).catch(() => ({ mtimeMs: now }))).mtimeMs > STALE_MS) await rm(path, { force: true });
    }
    return Object.fromEntries(Object.entries(bundles).map(([name, file]) => [name, join(outDir, file)]));
  } catch {
    return undefined; // read-only install: bin/bkv.js uses tsx
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const bundles = (await fresh()) ?? (await build());
  if (bundles) process.stderr.write(`bkv: CLI bundle in ${outDir} (${Date.now() - started} ms)\n`);
  else process.stderr.write('bkv: no CLI bundle (esbuild missing or dist/ not writable); bin/bkv.js will use tsx\n');
}
