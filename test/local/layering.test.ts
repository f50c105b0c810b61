// The layering docs/architecture.md states for local/ and runtime/: local/ (`npm start`) imports no module of
// client/ (what both need of the Node runtime is in runtime/), and runtime/ imports nothing of the project.
// Read from the sources' import and export-from specifiers, resolved against each file.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|js|mjs)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => join(ROOT, dir, f));
}

/** The project folders (first path segment) that `file` imports from, by relative specifier. */
function importedFolders(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)]
    .map((m) => m[1] ?? m[2]!);
  return specs.map((s) => relative(ROOT, resolve(dirname(file), s)).split('/')[0]!);
}

describe('layering', () => {
  it.for(['local', 'runtime'])('%s/ imports no module of client/', (dir) => {
    const files = sources(dir);
    expect(files.length).toBeGreaterThan(0);
    const offenders = files.filter((f) => importedFolders(f).includes('client')).map((f) => relative(ROOT, f));
    expect(offenders).toEqual([]);
  });

  it('runtime/ imports nothing of the project', () => {
    const imported = sources('runtime').flatMap((f) => importedFolders(f).filter((d) => d !== 'runtime'));
    expect(imported).toEqual([]);
  });

  it('the scan sees the imports that are there', () => {
    expect(importedFolders(join(ROOT, 'client/repo/blobs/blob-ops.ts'))).toContain('runtime');
    expect(importedFolders(join(ROOT, 'local/server.ts'))).toContain('functions');
  });
});
