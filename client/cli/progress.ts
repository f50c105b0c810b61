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
  return i === 0 ? `${Math.round(n)} B` : `${v.toFixed(1)} ${units[i]}`; // rates are fractional
}

function rate(bytes: number, ms: number): string {
  return ms <= 0 ? '-' : `${formatBytes((bytes * 1000) / ms)}/s`;
}

export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): ProgressSink {
  const started = now();
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
        const payload = { doneH: formatBytes(done), totalH: formatBytes(total), rate: rate(done, now() - started) };
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
      stream.write(`${label}: ${pct}% (${formatBytes(done)} of ${formatBytes(total)}, ${rate(done, now() - started)})\n`);
    },
    stop() {
      if (lastStep !== 10 && last.total > 0 && last.done === last.total) this.update(last.done, last.total);
    },
  };
}
