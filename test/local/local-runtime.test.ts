// `npm start` as a user runs it: a child process that prints where it listens, stops cleanly on Ctrl-C
// (SIGINT, exit 0), keeps its data across a restart, and refuses a second copy on the same data dir clearly.

import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaultClient } from '../../client/vault-client.js';
import { freePort } from '../../local/free-port.js';
import { CHEAP_STRETCHING, localToken } from '../helpers/local.js';
import { startNpmStart } from '../helpers/npm-start.js';

let dataDir: string;
let port: number;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bkv-runtime-'));
  port = await freePort();
});
afterAll(async () => rm(dataDir, { recursive: true, force: true }));

const start = () => startNpmStart(port, dataDir);

const tokenFor = (url: string, accountId: string) => localToken(url, dataDir, accountId);

describe('npm start', () => {
  it('serves, stops on SIGINT with exit 0, and keeps the vault across a restart', async () => {
    const key = new Uint8Array(randomBytes(32));
    const first = start();
    const url = await first.ready;
    expect(url).toBe(`http://127.0.0.1:${port}`);
    const client = new VaultClient({ server: url, token: await tokenFor(url, 'me'), keyStretching: CHEAP_STRETCHING });
    await client.register(key, 'pw');

    const second = start();
    second.ready.catch(() => undefined);
    expect(await second.exit).toBe(1);
    expect(second.output()).toMatch(/^bkv: cannot start: data dir .* is in use by another bkv process/m);
    expect(second.output()).not.toMatch(/\n\s+at /);

    first.child.kill('SIGINT');
    expect(await first.exit).toBe(0);
    expect((await stat(join(dataDir, 'sealer.key'))).mode & 0o777).toBe(0o600);

    const again = start();
    const url2 = await again.ready;
    const recovered = await new VaultClient({ server: url2, token: await tokenFor(url2, 'me'), keyStretching: CHEAP_STRETCHING }).recover('pw');
    expect(Buffer.from(recovered).equals(Buffer.from(key))).toBe(true);
    again.child.kill('SIGINT');
    expect(await again.exit).toBe(0);
  });
});
