// Progress display for uploads and downloads: a cli-progress bar (bytes, rate, ETA) on a terminal, plain lines
// otherwise (one at the start, at every 10 %, and at the end), always on stderr so stdout stays for results.

import cliProgress from 'cli-progress';

export interface ProgressSink {
  update(done: number, total: number): void;
  stop(): void;
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

export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now, amount: Amount = formatBytes): ProgressSink {
  const started = now();
  const rate = (done: number, ms: number) => (ms <= 0 ? '-' : `${amount((done * 1000) / ms)}/s`);
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar({
      stream,
      format: `${label} [{bar}] {percentage}% | {doneH} / {totalH} | {rate} | ETA {eta_formatted}`,
      barsize: 24,
      hideCursor: true,
      etaBuffer: 50,
      fps: 10,
      clearOnComplete: false,
    }, cliProgress.Presets.shades_classic);
    let begun = false;
    return {
      update(done, total) {
        const payload = { doneH: amount(done), totalH: amount(total), rate: rate(done, now() - started) };
        if (!begun) {
          bar.start(Math.max(total, 1), done, payload);
          begun = true;
        } else {
          bar.setTotal(Math.max(total, 1));
          bar.update(done, payload);
        }
      },
      stop() {
        if (begun) bar.stop();
      },
    };
  }
  let lastStep = -1;
  let last = { done: 0, total: 0 };
  return {
    update(done, total) {
      last = { done, total };
      const step = total === 0 ? 10 : Math.floor((done * 10) / total);
      if (step === lastStep) return;
      lastStep = step;
      const pct = total === 0 ? 100 : Math.floor((done * 100) / total);
      stream.write(`${label}: ${pct}% (${amount(done)} of ${amount(total)}, ${rate(done, now() - started)})\n`);
    },
    stop() {
      if (lastStep !== 10 && last.total > 0 && last.done === last.total) this.update(last.done, last.total);
    },
  };
}
