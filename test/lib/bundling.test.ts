// lib/bundling.ts: the NodejsFunction settings every function is built with, and the one that is easy to get
// wrong: ESM output still runs CommonJS dependencies that call require(), which only works with the banner.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLING, LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME, REQUIRE_BANNER } from '../../lib/bundling.js';

const dir = mkdtempSync(path.join(tmpdir(), 'bkv-bundling-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Bundles a module whose CommonJS dependency require()s a builtin, the way the AWS SDK's CJS parts do. */
async function bundleAndRun(banner: string | undefined): Promise<string> {
  writeFileSync(path.join(dir, 'dep.cjs'), "module.exports = () => require('node:path').posix.sep + typeof require('node:crypto').randomUUID;\n");
  writeFileSync(path.join(dir, 'entry.mjs'), "import dep from './dep.cjs';\nconsole.log(dep());\n");
  const outfile = path.join(dir, `out-${banner ? 'banner' : 'plain'}.mjs`);
  await build({
    entryPoints: [path.join(dir, 'entry.mjs')], outfile, bundle: true, platform: 'node', logLevel: 'silent',
    format: BUNDLING.format === OutputFormat.ESM ? 'esm' : 'cjs', target: BUNDLING.target, minify: BUNDLING.minify,
    mainFields: BUNDLING.mainFields, ...(banner ? { banner: { js: banner } } : {}),
  });
  return execFileSync(process.execPath, [outfile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

describe('Lambda bundling', () => {
  it('builds minified ESM for node22 with source maps, locally (never Docker), bundling everything', () => {
    expect(LAMBDA_RUNTIME.name).toBe('nodejs22.x');
    expect(LAMBDA_ARCHITECTURE.name).toBe('arm64');
    expect(BUNDLING).toMatchObject({
      format: OutputFormat.ESM, target: 'node22', minify: true, sourceMap: true, sourcesContent: false,
      forceDockerBundling: false, externalModules: [], banner: REQUIRE_BANNER,
    });
  });

  it('ESM bundles run CommonJS dependencies that call require() thanks to the banner', async () => {
    expect(await bundleAndRun(REQUIRE_BANNER)).toBe('/function');
  });

  it('without the banner the same bundle fails at load (so the banner is what makes it work)', async () => {
    await expect(bundleAndRun(undefined)).rejects.toThrow(/Dynamic require of "node:path" is not supported/);
  });
});
