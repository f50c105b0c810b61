// `npm start` on a disk that fills up (a real 8 MiB tmpfs, so ENOSPC comes from the kernel, not a mock): requests
// answer 507 insufficient-storage problem+json with retry-after (503 for the write that found it full), presigned
// uploads a 507 InsufficientStorage S3 error (and no partial object), the process stays up, what was
// stored (a registered vault, a repository object) survives, and once space is back the runtime serves again without a
// restart and restarts cleanly. Needs root for `mount`, as CI (`bash .ci/run`, as root) has; without it the test
// fails and says so rather than pass without testing anything.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaultClient } from '../../client/vault-client.js';
import { freePort } from '../../local/free-port.js';
import { call, download, downloadUrl, newId, putObjects, type Answer, type Upload } from '../helpers/repo.js';
import { CHEAP_STRETCHING, localToken, localTokenRequest } from '../helpers/local.js';
import { startNpmStart } from '../helpers/npm-start.js';

let mountPoint: string;
let mounted = false;
let dataDir: string;
let filler: string;
let port: number;

beforeAll(async () => {
  mountPoint = await mkdtemp(join(tmpdir(), 'bkv-full-'));
  if (process.getuid?.() !== 0) throw new Error('disk-full.test.ts mounts a small tmpfs and needs root (CI runs `bash .ci/run` as root)');
  const out = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0700', 'tmpfs', mountPoint], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`cannot mount a tmpfs as root: ${out.stderr || out.error?.message}`);
  mounted = true;
  dataDir = join(mountPoint, 'data');
  filler = join(mountPoint, 'filler');
  port = await freePort();
});

afterAll(async () => {
  if (mounted) spawnSync('umount', ['-l', mountPoint]);
  await rm(mountPoint, { recursive: true, force: true });
});

const startNpm = (dir = dataDir) => startNpmStart(port, dir);

async function fillDisk(): Promise<void> {
  const e = await writeFile(filler, Buffer.alloc(16 * 1024 * 1024, 1)).then(() => undefined, (err: NodeJS.ErrnoException) => err);
  expect(e?.code).toBe('ENOSPC');
}

const tokenFor = (url: string, accountId: string) => localToken(url, dataDir, accountId);

const expectFull = (a: Answer) => {
  expect([503, 507]).toContain(a.status);
  expect(a).toMatchObject({
    type: 'application/problem+json',
    json: { type: a.status === 507 ? 'urn:bkv:problem:insufficient-storage' : 'urn:bkv:problem:unavailable', status: a.status },
  });
};

describe('a full disk under the data dir', () => {
  it('answers 507, stays up, loses nothing committed, serves again once space is back, and restarts cleanly', async () => {
    let npm = startNpm();
    const url = await npm.ready;
    const rt = { url };
    const token = await tokenFor(url, 'me');
    const key = new Uint8Array(randomBytes(32));
    const vault = new VaultClient({ server: url, token, keyStretching: CHEAP_STRETCHING });
    await vault.register(key, 'pw');
    const data = randomBytes(200_000);
    const committed = newId();
    await putObjects(rt, token, [{ type: 'data', id: committed, body: data }]);
    const pendingId = newId();
    const pendingData = randomBytes(300_000);
    const asked = await call(rt, token, 'POST', '/v1/repo/uploads', { objects: [{ type: 'data', id: pendingId, size: pendingData.length }] });
    const pending = (asked.json!.uploads as Upload[])[0]!;

    await fillDisk();

    // A presigned upload has nowhere to go: a 507 S3 error (not a crash, not a truncated object).
    const put = await fetch(pending.url, { method: 'PUT', headers: pending.headers, body: pendingData });
    expect(put.status).toBe(507);
    expect(await put.text()).toContain('<Code>InsufficientStorage</Code>');
    expect((await fetch(await downloadUrl(rt, token, 'data', pendingId))).status).toBe(404);

    // API writes until the database cannot take more: each is a 200 or a 503/507 problem, never a 500 or silence.
    const seen: number[] = [];
    for (let i = 0; i < 300 && !seen.some((s) => s >= 500); i++) {
      const a = await call(rt, token, 'POST', '/v1/repo/uploads', { objects: [{ type: 'index', id: newId(), size: 10 + i }] });
      seen.push(a.status);
      if (a.status !== 200) expectFull(a);
    }
    expect(seen.some((s) => s === 503 || s === 507)).toBe(true);
    expect(seen.every((s) => s === 200 || s === 503 || s === 507)).toBe(true);

    // While full: every route answers 507 problem+json with retry-after, quickly; the token route still works.
    const body = JSON.stringify({ objects: [{ type: 'data', id: newId(), size: 1 }] });
    for (const [method, path] of [['GET', '/v1/vault'], ['GET', '/v1/repo'], ['POST', '/v1/repo/uploads']] as const) {
      const res = await fetch(`${url}${path}`, {
        method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(method === 'POST' ? { body } : {}), signal: AbortSignal.timeout(10_000),
      });
      expect(res.status, path).toBe(507);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toMatchObject({ type: 'urn:bkv:problem:insufficient-storage', detail: 'storage is full; try again later' });
    }
    expect(npm.child.exitCode).toBeNull();
    expect(npm.output()).not.toMatch(/ENOSPC|Database is closed|\n\s+at /);

    // Space is back: served again without a restart, with everything committed before.
    await rm(filler);
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await call(rt, token, 'GET', '/v1/vault')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    expect(Buffer.from(await vault.recover('pw')).equals(Buffer.from(key))).toBe(true);
    expect((await download(await downloadUrl(rt, token, 'data', committed))).equals(data)).toBe(true);
    const putAgain = await fetch(pending.url, { method: 'PUT', headers: pending.headers, body: pendingData });
    expect(putAgain.status).toBe(200);
    expect(npm.child.exitCode).toBeNull();

    npm.child.kill('SIGINT');
    expect(await npm.exit).toBe(0);

    // A clean restart: the vault, the counter and both objects are there.
    npm = startNpm();
    try {
      const url2 = await npm.ready;
      const token2 = await tokenFor(url2, 'me');
      const again = new VaultClient({ server: url2, token: token2, keyStretching: CHEAP_STRETCHING });
      expect(Buffer.from(await again.recover('pw')).equals(Buffer.from(key))).toBe(true);
      const listed = await call({ url: url2 }, token2, 'GET', '/v1/repo/objects?type=data');
      expect((listed.json?.objects as { id: string }[]).map((o) => o.id)).toEqual([committed, pendingId].sort());
      expect((await download(await downloadUrl({ url: url2 }, token2, 'data', pendingId))).equals(pendingData)).toBe(true);
    } finally {
      npm.child.kill('SIGINT');
      expect(await npm.exit).toBe(0);
    }
  });

  it('a first start on a full disk exits 1 saying so, leaves no half-written key behind, and starts once space is back', async () => {
    const fresh = join(mountPoint, 'fresh');
    await fillDisk();
    const npm = startNpm(fresh);
    npm.ready.catch(() => undefined);
    try {
      expect(await npm.exit).toBe(1);
      expect(npm.output()).toMatch(/^bkv: cannot start: the disk under .* is full/m);
      const left = await readdir(fresh).catch(() => [] as string[]);
      for (const name of left) expect((await stat(join(fresh, name))).size, name).toBeGreaterThan(0);
    } finally {
      await rm(filler);
    }
    const again = startNpm(fresh);
    try {
      const url = await again.ready;
      expect((await localTokenRequest(url, fresh, 'me')).status).toBe(200);
    } finally {
      again.child.kill('SIGINT');
      expect(await again.exit).toBe(0);
    }
  });
});
