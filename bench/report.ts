// Shared benchmark plumbing: percentiles, a machine note, and replacing one "## " section of docs/benchmarks.md
// (each benchmark owns its section; the rest of the file is left as it is).

import { readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';

export const BENCHMARKS_MD = new URL('../docs/benchmarks.md', import.meta.url);

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function machineNote(): string {
  return `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

/** Replaces the section whose heading starts with `heading` (or appends it). */
export async function writeSection(heading: string, body: string): Promise<void> {
  let doc: string;
  try {
    doc = await readFile(BENCHMARKS_MD, 'utf8');
  } catch {
    doc = '# Benchmarks\n\nEvery figure here was produced by the command named in its section, on the machine it names.\n';
  }
  const section = `${heading}\n\n${body.trim()}\n`;
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.startsWith(heading));
  if (start === -1) {
    doc = `${doc.trimEnd()}\n\n${section}`;
  } else {
    let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
    if (end === -1) end = lines.length;
    doc = [...lines.slice(0, start), ...section.split('\n'), ...lines.slice(end)].join('\n').replace(/\n{3,}/g, '\n\n');
  }
  await writeFile(BENCHMARKS_MD, doc.endsWith('\n') ? doc : `${doc}\n`);
}
