// `npm run bench:object-store`: CPU cost of the local runtime's object store (local/s3.ts) per GiB. The store runs
// in a child process (as it does inside `npm start`) over a data dir in /dev/shm (so the disk is not what is
// measured); this process PUTs BENCH_BYTES (default 1 GiB) as 16 MiB objects through presigned URLs, 4 at a time,
// then GETs them back and checks their lengths. Reported: the child's user+system CPU seconds for the PUTs and
// for the GETs, per GiB, read from /proc/<pid>/stat around each phase.

import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join } from 'node:path';

const GiB = 2 ** 30;
const BYTES = Number(process.env.BENCH_BYTES ?? GiB);
const OBJECT = 16 * 2 ** 20;
const PARALLEL = 4;

if (process.argv[2] === 'child') {
  const { startS3 } = await import('../local/s3.js');
  const { randomStorageCredentials } = await import('../local/keys.js');
  const { S3ObjectStore } = await import('../functions/adapters/s3-object-store.js');
  const s3 = await startS3(process.argv[3]!, randomStorageCredentials());
  const store = new S3ObjectStore(s3.client, s3.bucket);
  process.on('message', (m: { op: string; key: string; size: number; id: number }) => {
    const answer = m.op === 'put' ? store.presignPut(m.key, m.size, 3600).then((p) => p.url) : store.presignGet(m.key, 3600);
    void answer.then((url) => process.send!({ id: m.id, url }));
  });
  process.send!({ ready: true });
} else {
  const dir = await mkdtemp(join('/dev/shm', 'bkv-objstore-'));
  const child = fork(new URL(import.meta.url).pathname, ['child', dir], { execArgv: ['--import', 'tsx'] });
  const waiting = new Map<number, (url: string) => void>();
  let n = 0;
  await new Promise<void>((resolve) => child.once('message', () => resolve()));
  child.on('message', (m: { id: number; url: string }) => waiting.get(m.id)?.(m.url));
  const presign = (op: 'put' | 'get', key: string, size = 0) => new Promise<string>((resolve) => {
    const id = n++;
    waiting.set(id, resolve);
    child.send({ op, key, size, id });
  });
  const cpu = () => {
    const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime in clock ticks (100/s)
  };
  const agent = new Agent({ keepAlive: true, maxSockets: PARALLEL });
  const body = randomBytes(OBJECT);
  const count = Math.ceil(BYTES / OBJECT);
  const send = (url: string, method: string, payload?: Buffer) => new Promise<number>((resolve, reject) => {
    const req = request(url, { method, agent, headers: payload ? { 'content-length': payload.length } : {} }, (res) => {
      let got = 0;
      res.on('data', (c: Buffer) => (got += c.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(got) : reject(new Error(`${method} ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(payload);
  });
  async function phase(op: 'put' | 'get'): Promise<{ cpu: number; s: number }> {
    const c0 = cpu();
    const t0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: PARALLEL }, async () => {
      while (next < count) {
        const key = `accounts/bench/repo/data/${String(next++).padStart(64, '0')}`;
        const url = await presign(op, key, OBJECT);
        const got = await send(url, op === 'put' ? 'PUT' : 'GET', op === 'put' ? body : undefined);
        if (op === 'get' && got !== OBJECT) throw new Error('short object');
      }
    }));
    return { cpu: cpu() - c0, s: (performance.now() - t0) / 1000 };
  }
  try {
    const put = await phase('put');
    const get = await phase('get');
    const gib = (count * OBJECT) / GiB;
    const line = (name: string, p: { cpu: number; s: number }) =>
      `${name}: ${(p.cpu / gib).toFixed(2)} CPU s/GiB in the object store process, ${(gib / p.s * 1024).toFixed(0)} MiB/s wall`;
    process.stdout.write(`${gib.toFixed(2)} GiB as ${count} objects of 16 MiB, ${PARALLEL} in parallel\n${line('PUT', put)}\n${line('GET', get)}\n`
      + `PUT+GET: ${((put.cpu + get.cpu) / gib).toFixed(2)} CPU s/GiB\n`);
  } finally {
    child.kill();
    agent.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}
