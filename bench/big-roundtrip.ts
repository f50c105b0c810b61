// `npm run test:big`: the 2 GiB must-show. A directory of many small files and a few large ones (random data,
// BIG_BYTES, default 2 GiB, in /dev/shm) is backed up as a snapshot through the `bkv` CLI (`bkv backup`) against
// `npm start` (a child process, data dir on disk as a user would have it), behind a password, then restored on a
// new device (empty BKV_HOME) with the password (`bkv restore latest`; the snapshot's root holds the backed-up
// directory by its name); the restored tree must be byte-identical and the CLI's peak RSS (GNU time, worker
// threads included) under 200 MiB in both directions. Exits non-zero otherwise; records its figures in its
// section of docs/benchmarks.md. Env: BIG_BYTES, BIG_SMALL_BYTES (default 1/4 of it), BIG_LARGE_FILES (default 3).

import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { bkv, digestTree, fmt, makeTree, mbps, sameDigest, startRuntime, type Runtime } from './cli-harness.js';
import { machineNote, writeSection } from './report.js';

const GiB = 2 ** 30;
const BYTES = Number(process.env.BIG_BYTES ?? 2 * GiB);
const SMALL = Number(process.env.BIG_SMALL_BYTES ?? Math.floor(BYTES / 4));
const LARGE = Number(process.env.BIG_LARGE_FILES ?? 3);
const RSS_LIMIT_MIB = 200;

async function main(): Promise<number> {
  const shm = await mkdtemp(join('/dev/shm', 'bkv-big-'));
  const serverData = await mkdtemp(join(tmpdir(), 'bkv-big-server-'));
  let runtime: Runtime | undefined;
  const load = loadavg()[0]!;
  try {
    const src = join(shm, 'src');
    const out = join(shm, 'restored');
    process.stdout.write(`making ${fmt(BYTES / GiB, 2)} GiB of test data in ${src}…\n`);
    const tree = await makeTree(src, { bytes: BYTES, smallBytes: SMALL, largeFiles: LARGE });
    process.stdout.write(`${tree.files} files\n`);
    runtime = await startRuntime(serverData);
    const password = 'big round trip password';
    const common = { BKV_SERVER: runtime.url, BKV_ACCOUNT: 'big', BKV_LOCAL_SECRET_FILE: runtime.secretFile };
    const laptop = { ...common, BKV_HOME: join(shm, 'home-laptop') };
    const phone = { ...common, BKV_HOME: join(shm, 'home-phone') };

    const init = await bkv(['init', '--password'], laptop, `${password}\n`);
    if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);
    process.stdout.write('backing up…\n');
    const backup = await bkv(['backup', src], laptop);
    if (backup.code !== 0) throw new Error(`backup failed: ${backup.stderr}`);
    process.stdout.write(`backup: ${fmt(backup.seconds)} s, peak RSS ${fmt(backup.rssMiB)} MiB\n`);
    process.stdout.write('restoring on a new device with the password…\n');
    const restore = await bkv(['restore', 'latest', out], phone, `${password}\n`);
    if (restore.code !== 0) throw new Error(`restore failed: ${restore.stderr}`);
    process.stdout.write(`restore: ${fmt(restore.seconds)} s, peak RSS ${fmt(restore.rssMiB)} MiB\n`);
    process.stdout.write('comparing…\n');
    const identical = sameDigest(await digestTree(src), await digestTree(join(out, basename(src))));
    const pass = identical && backup.rssMiB < RSS_LIMIT_MIB && restore.rssMiB < RSS_LIMIT_MIB;
    const body = `
Command: \`npm run test:big\` (BIG_BYTES=${BYTES}: ${tree.files} files, ${fmt(SMALL / GiB, 2)} GiB in small files of 1 B–64 KiB, the rest in ${LARGE} large files; random data).
Machine: ${machineNote()}; 1-minute load average at start ${fmt(load, 2)}. Source and restored trees in /dev/shm; the
server is \`npm start\` in a child process with its data dir on disk. Times are wall clock for the whole CLI
process (start-up, Argon2id for the password on restore, chunking, compression, age, HTTP to the local object
store); peak RSS is GNU time's maxrss of the CLI process, worker threads included.

| step | time | throughput | peak RSS |
| --- | --- | --- | --- |
| \`bkv backup\` (${fmt(tree.bytes / GiB, 2)} GiB of files, a first snapshot) | ${fmt(backup.seconds)} s | ${fmt(mbps(tree.bytes, backup.seconds))} MB/s | ${fmt(backup.rssMiB)} MiB |
| \`bkv restore latest\` on a new device, with the password | ${fmt(restore.seconds)} s | ${fmt(mbps(tree.bytes, restore.seconds))} MB/s | ${fmt(restore.rssMiB)} MiB |

Restored tree byte-identical (SHA-256 of every file, same names and symlinks): **${identical ? 'yes' : 'NO'}**.
Peak RSS under ${RSS_LIMIT_MIB} MiB in both directions: **${backup.rssMiB < RSS_LIMIT_MIB && restore.rssMiB < RSS_LIMIT_MIB ? 'yes' : 'NO'}**.
`;
    if (BYTES >= 2 * GiB) await writeSection('## 2 GiB round trip', body);
    process.stdout.write(body);
    return pass ? 0 : 1;
  } finally {
    await runtime?.stop();
    await rm(shm, { recursive: true, force: true });
    await rm(serverData, { recursive: true, force: true });
  }
}

process.exitCode = await main();
