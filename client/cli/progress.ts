// Progress display, always on stderr so stdout stays for results. Four modes: `bar`, a cli-progress bar (files,
// bytes, rate, ETA) on a terminal; `json`, one JSON object per line (at most one a second, and a last one), on
// request (--json); `lines`, plain lines at every 10 % (`check` when not on a terminal); `none` (--quiet, or a
// snapshot command not on a terminal). The JSON line: {"type":"progress","command","done","total","unit",
// "files"?,"totalFiles"?,"rate" (units per second),"etaSeconds" (0 once done, null before that in the first second)} (README "Progress").

import cliProgress from 'cli-progress';
import { setActiveBar } from './say.js';

/** What a snapshot command reports: `done` of `total` units (bytes unless told), and files when it counts them. */
export interface Amounts {
  done: number;
  total: number;
  files?: number;
  totalFiles?: number;
}

export interface AmountSink {
  update(a: Amounts): void;
  stop(): void;
}

export type ProgressMode = 'bar' | 'json' | 'lines' | 'none';

/** The mode of a snapshot command (backup, restore, prune): --quiet, --json, a terminal, else none. */
export function progressMode(flags: { json?: boolean; quiet?: boolean }, stream: NodeJS.WriteStream = process.stderr): ProgressMode {
  if (flags.quiet) return 'none';
  if (flags.json) return 'json';
  return stream.isTTY ? 'bar' : 'none';
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(n)} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** How a progress sink shows amounts: bytes (the default) or a count of things, e.g. `countOf('packs')`. */
export type Amount = (n: number) => string;
export const countOf = (things: string): Amount => (n) => `${Math.round(n)} ${things}`;

/** The four modes over `Amounts`. `unit` names the amount in JSON lines ("bytes", "packs"). */
export function openProgress(
  label: string, mode: ProgressMode,
  options: { stream?: NodeJS.WriteStream; now?: () => number; amount?: Amount; unit?: string } = {},
): AmountSink {
  const { stream = process.stderr, now = Date.now, amount = formatBytes, unit = 'bytes' } = options;
  const started = now();
  const perSecond = (done: number, ms: number) => (ms <= 0 ? 0 : (done * 1000) / ms);
  const rate = (done: number, ms: number) => (ms <= 0 ? '-' : `${amount(perSecond(done, ms))}/s`);
  const files = (a: Amounts) => (a.files === undefined ? '' : `${a.files}${a.totalFiles === undefined ? '' : `/${a.totalFiles}`} files | `);
  if (mode === 'none') return { update() {}, stop() {} };
  if (mode === 'bar') {
    const bar = new cliProgress.SingleBar({
      stream,
      format: `${label} [{bar}] {percentage}% | {filesH}{doneH} / {totalH} | {rate} | ETA {eta_formatted}`,
      barsize: 24,
      hideCursor: true,
      etaBuffer: 50,
      fps: 10,
      clearOnComplete: false,
    }, cliProgress.Presets.shades_classic);
    let begun = false;
    return {
      update(a) {
        const payload = { filesH: files(a), doneH: amount(a.done), totalH: amount(a.total), rate: rate(a.done, now() - started) };
        if (!begun) {
          bar.start(Math.max(a.total, 1), a.done, payload);
          begun = true;
          setActiveBar(stream);
        } else {
          bar.setTotal(Math.max(a.total, 1));
          bar.update(a.done, payload);
        }
      },
      stop() {
        if (!begun) return;
        begun = false;
        setActiveBar(undefined);
        bar.stop(); // draws the last state and ends its line
      },
    };
  }
  if (mode === 'json') {
    let lastLine = -Infinity;
    let last: Amounts | undefined;
    const line = (a: Amounts) => {
      const ms = now() - started;
      const r = perSecond(a.done, ms);
      // 0 once done; none from the first second's rate (a first small file makes it absurd)
      const eta = a.done >= a.total ? 0 : ms >= 1000 && r > 0 ? Math.round((a.total - a.done) / r) : null;
      stream.write(`${JSON.stringify({
        type: 'progress', command: label, done: a.done, total: a.total, unit,
        ...(a.files !== undefined ? { files: a.files } : {}), ...(a.totalFiles !== undefined ? { totalFiles: a.totalFiles } : {}),
        rate: Math.round(r), etaSeconds: eta,
      })}\n`);
    };
    return {
      update(a) {
        last = a;
        const t = now();
        if (t - lastLine < 1000) return;
        lastLine = t;
        line(a);
      },
      stop() {
        if (last !== undefined) line(last);
      },
    };
  }
  let lastStep = -1;
  let last: Amounts = { done: 0, total: 0 };
  const lines = {
    update(a: Amounts) {
      last = a;
      const step = a.total === 0 ? 10 : Math.floor((a.done * 10) / a.total);
      if (step === lastStep) return;
      lastStep = step;
      const pct = a.total === 0 ? 100 : Math.floor((a.done * 100) / a.total);
      const count = a.files === undefined ? '' : `${a.files}${a.totalFiles === undefined ? '' : ` of ${a.totalFiles}`} files, `;
      stream.write(`${label}: ${pct}% (${count}${amount(a.done)} of ${amount(a.total)}, ${rate(a.done, now() - started)})\n`);
    },
    stop() {
      if (lastStep !== 10 && last.total > 0 && last.done === last.total) lines.update(last);
    },
  };
  return lines;
}

