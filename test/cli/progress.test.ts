// The progress modes of client/cli/progress.ts with a fake stream and clock: which mode a command's flags pick,
// JSON lines (at most one a second, a last one on stop, rate and ETA from the clock), plain lines (every 10 %),
// and none. The commands' own output is in snapshots.test.ts.

import { describe, expect, it } from 'vitest';
import { countOf, openProgress, progressMode } from '../../client/cli/progress.js';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; out: string[] } {
  const out: string[] = [];
  const stream = { isTTY, write: (s: string) => out.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, out };
}

describe('cli progress', () => {
  it('picks none for --quiet, JSON lines for --json, a bar on a terminal, else none', () => {
    const tty = fakeStream(true).stream;
    const pipe = fakeStream(false).stream;
    expect(progressMode({ quiet: true, json: true }, tty)).toBe('none');
    expect(progressMode({ json: true }, pipe)).toBe('json');
    expect(progressMode({ json: true }, tty)).toBe('json');
    expect(progressMode({}, tty)).toBe('bar');
    expect(progressMode({}, pipe)).toBe('none');
  });

  it('json: one line a second at most, a last one on stop, with rate and ETA from the clock', () => {
    const { stream, out } = fakeStream(false);
    let t = 0;
    const p = openProgress('backup', 'json', { stream, now: () => t });
    t = 1000;
    p.update({ done: 100, total: 400, files: 1, totalFiles: 4 });
    t = 1500;
    p.update({ done: 200, total: 400, files: 2, totalFiles: 4 }); // within the second: not printed
    t = 2000;
    p.update({ done: 300, total: 400, files: 3, totalFiles: 4 });
    t = 2100;
    p.update({ done: 400, total: 400, files: 4, totalFiles: 4 });
    p.stop();
    const lines = out.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out.every((l) => l.endsWith('\n'))).toBe(true);
    expect(lines).toEqual([
      { type: 'progress', command: 'backup', done: 100, total: 400, unit: 'bytes', files: 1, totalFiles: 4, rate: 100, etaSeconds: 3 },
      { type: 'progress', command: 'backup', done: 300, total: 400, unit: 'bytes', files: 3, totalFiles: 4, rate: 150, etaSeconds: 1 },
      { type: 'progress', command: 'backup', done: 400, total: 400, unit: 'bytes', files: 4, totalFiles: 4, rate: 190, etaSeconds: 0 },
    ]);
  });

  it('json: no ETA in the first second (a first small file would make it absurd)', () => {
    const { stream, out } = fakeStream(false);
    let t = 0;
    const p = openProgress('backup', 'json', { stream, now: () => t });
    t = 5;
    p.update({ done: 3, total: 30_000_000 });
    p.stop();
    expect(out.map((l) => (JSON.parse(l) as { etaSeconds: unknown }).etaSeconds)).toEqual([null, null]);
  });

  it('json: no line for a command that reported nothing; units other than bytes are named', () => {
    const { stream, out } = fakeStream(false);
    openProgress('prune', 'json', { stream }).stop();
    expect(out).toEqual([]);
    const p = openProgress('prune', 'json', { stream, now: () => 0, unit: 'packs', amount: countOf('packs') });
    p.update({ done: 0, total: 3 });
    p.stop();
    expect(out.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      { type: 'progress', command: 'prune', done: 0, total: 3, unit: 'packs', rate: 0, etaSeconds: null },
      { type: 'progress', command: 'prune', done: 0, total: 3, unit: 'packs', rate: 0, etaSeconds: null },
    ]);
  });

  it('lines: one per 10 % step with files when counted; none: nothing', () => {
    const { stream, out } = fakeStream(false);
    const p = openProgress('restore', 'lines', { stream, now: () => 1000 });
    for (let done = 0; done <= 1024; done += 64) p.update({ done, total: 1024, files: done / 64, totalFiles: 16 });
    p.stop();
    expect(out).toHaveLength(11);
    expect(out[0]).toBe('restore: 0% (0 of 16 files, 0 B of 1.0 KiB, -)\n');
    expect(out[10]).toBe('restore: 100% (16 of 16 files, 1.0 KiB of 1.0 KiB, -)\n');
    const quiet = fakeStream(false);
    const n = openProgress('restore', 'none', { stream: quiet.stream });
    n.update({ done: 1, total: 1 });
    n.stop();
    expect(quiet.out).toEqual([]);
  });
});
