// Start-up of the local runtime on a shared machine: from the moment its port is taken every request gets an
// answer (503 problem+json with retry-after until it is ready, never silence), and the data dir ends up private:
// the dir and every subdir 0700, every file 0600, also when the dir existed before with loose modes, and also for
// the files the runtime writes while it runs (npm start sets umask 077).

import { chmod, lstat, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaultClient } from '../../client/vault-client.js';
import { freePort } from '../../local/free-port.js';
import { startLocal } from '../../local/server.js';
import { newId, putObjects } from '../helpers/repo.js';
import { CHEAP_STRETCHING, localToken, localTokenRequest } from '../helpers/local.js';
import { startNpmStart } from '../helpers/npm-start.js';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'bkv-startup-'));
});
afterAll(async () => rm(scratch, { recursive: true, force: true }));

interface Seen { status: number; type: string | null; retryAfter: string | null; body: Record<string, unknown> }

async function look(res: Response): Promise<Seen> {
  return { status: res.status, type: res.headers.get('content-type'), retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
}

const STARTING = {
  status: 503, type: 'application/problem+json', retryAfter: '1',
  body: expect.objectContaining({ type: 'urn:bkv:problem:unavailable', status: 503 }),
};

const startNpm = (dataDir: string, port: number) => startNpmStart(port, dataDir);

describe('requests during start-up', () => {
  it('a request that arrives once the port is taken but before storage is up gets 503 problem+json with retry-after', async () => {
    const dataDir = join(scratch, 'hook');
    const during: Seen[] = [];
    const rt = await startLocal({
      dataDir, inMemory: true,
      onListening: async (url) => {
        during.push(await look(await fetch(`${url}/v1/vault`, { headers: { authorization: 'Bearer x' }, signal: AbortSignal.timeout(5000) })));
        during.push(await look(await localTokenRequest(url, dataDir, 'me', { secret: 'not-yet-readable', signal: AbortSignal.timeout(5000) })));
      },
    });
    try {
      expect(during).toEqual([STARTING, STARTING]);
      const after = await localTokenRequest(rt.url, dataDir, 'me');
      expect(after.status).toBe(200);
    } finally {
      await rt.close();
    }
  });

  it('npm start answers every request from the moment its port opens: 503 while starting, then served; none hangs', async () => {
    const dataDir = join(scratch, 'poll');
    const port = await freePort();
    const npm = startNpm(dataDir, port);
    const answers: number[] = [];
    let hung = 0;
    try {
      for (let i = 0; i < 4000; i++) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/v1/vault`, { signal: AbortSignal.timeout(3000) });
          const seen = await look(res);
          answers.push(seen.status);
          if (seen.status === 503) expect(seen).toEqual(STARTING);
          else break;
        } catch (e) {
          const cause = (e as { cause?: { code?: string } }).cause?.code;
          if (cause === 'ECONNREFUSED' || cause === 'ECONNRESET') {
            await new Promise((r) => setTimeout(r, 2));
            continue;
          }
          hung++;
          break;
        }
      }
      expect(hung).toBe(0);
      expect(answers.at(-1)).toBe(401); // served: the route wants a token
      expect(answers.every((s) => s === 503 || s === 401)).toBe(true);
      await npm.ready;
    } finally {
      npm.child.kill('SIGINT');
      await npm.exit;
    }
  });
});

async function modes(dir: string): Promise<{ path: string; kind: string; mode: number }[]> {
  const out: { path: string; kind: string; mode: number }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const mode = (await lstat(path)).mode & 0o777;
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      out.push({ path, kind: 'dir', mode });
      out.push(...(await modes(path)));
    } else {
      out.push({ path, kind: entry.isFile() ? 'file' : 'other', mode });
    }
  }
  return out;
}

describe('data dir modes', () => {
  it('a pre-existing loose data dir is tightened at start, and what the runtime writes later is 0600/0700 too', async () => {
    const dataDir = join(scratch, 'loose');
    const outside = join(scratch, 'outside.txt');
    await writeFile(outside, 'not ours');
    await chmod(outside, 0o644);
    await mkdir(join(dataDir, 'notes', 'deeper'), { recursive: true });
    await writeFile(join(dataDir, 'notes', 'deeper', 'a.txt'), 'x');
    await writeFile(join(dataDir, 'extra.txt'), 'x');
    await chmod(join(dataDir, 'extra.txt'), 0o666);
    await chmod(join(dataDir, 'notes', 'deeper', 'a.txt'), 0o644);
    await chmod(join(dataDir, 'notes', 'deeper'), 0o777);
    await chmod(join(dataDir, 'notes'), 0o755);
    await chmod(dataDir, 0o755);
    await symlink(outside, join(dataDir, 'link.txt'));

    const port = await freePort();
    const npm = startNpm(dataDir, port);
    try {
      const url = await npm.ready;
      const token = await localToken(url, dataDir, 'me');
      // Writes while running: a vault record (DynamoDB) and a repository object (a file of the object store).
      await new VaultClient({ server: url, token, keyStretching: CHEAP_STRETCHING }).register(new Uint8Array(randomBytes(32)), 'pw');
      await putObjects({ url }, token, [{ type: 'data', id: newId(), body: randomBytes(1000) }]);

      expect((await lstat(dataDir)).mode & 0o777).toBe(0o700);
      const all = await modes(dataDir);
      expect(all.map((e) => e.path)).toEqual(expect.arrayContaining([
        join(dataDir, 'extra.txt'), join(dataDir, 'notes', 'deeper', 'a.txt'), join(dataDir, 'sealer.key'), join(dataDir, 'oidc-signing-key.jwk'), join(dataDir, 'local-token-secret'),
      ]));
      expect(all.filter((e) => e.path.includes(`${join(dataDir, 'dynamodb')}/`)).length).toBeGreaterThan(0);
      expect(all.filter((e) => e.path.includes(`${join(dataDir, 'objects')}/`) && e.kind === 'file').length).toBeGreaterThan(0);
      for (const e of all) {
        if (e.kind === 'dir') expect(e, e.path).toMatchObject({ mode: 0o700 });
        else if (e.kind === 'file') expect(e, e.path).toMatchObject({ mode: 0o600 });
        else expect(e.mode & 0o077, e.path).toBe(0);
      }
      expect((await lstat(outside)).mode & 0o777).toBe(0o644); // the symlink was not followed
    } finally {
      npm.child.kill('SIGINT');
      expect(await npm.exit).toBe(0);
    }
  });
});
