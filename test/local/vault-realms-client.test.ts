// VaultClient on a server that publishes a 2-of-3 realm set (client/vault-client.ts, docs/protocol.md "Realms"):
// a protocol-2 (OPAQUE) vault keeps working and moves to the realms at its next successful recovery (its OPAQUE
// record is then deleted); status counts attempts per realm; and the CLI's pin refuses a silently changed set.

import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaultClient } from '../../client/vault-client.js';
import { guardians, pinnedRealmSet, REALM_PIN_FILE } from '../../client/cli/realm-pin.js';
import { CHEAP_STRETCHING } from '../helpers/cheap-stretching.js';
import { startTestRealms, type TestRealms } from '../helpers/local.js';

let realms: TestRealms;
beforeAll(async () => {
  realms = await startTestRealms(3, 2);
});
afterAll(async () => realms?.stop());

const client = async (account: string, realmSet?: null) => new VaultClient({
  server: realms.primary.url, token: await realms.token(account), keyStretching: CHEAP_STRETCHING, ...(realmSet === null ? { realmSet } : {}),
});

describe('VaultClient with a realm set', () => {
  it('moves a protocol-2 vault to the realms at its next successful recovery, and deletes the OPAQUE record', async () => {
    const K = new Uint8Array(randomBytes(32));
    await (await client('erin', null)).register(K, 'pw'); // as an older client did: the single vault
    const v = await client('erin');
    expect((await v.status()).realms?.realms.every((r) => !r.registered)).toBe(true);
    expect(Buffer.from(await v.recover('pw')).equals(Buffer.from(K))).toBe(true);
    const after = await v.status();
    expect(after).toMatchObject({ registered: true, maxAttempts: 10, attemptsRemaining: 10 });
    expect(after.realms?.realms.map((r) => r.allowedGuesses)).toEqual([7, 7, 7]);
    expect((await (await client('erin', null)).status()).registered).toBe(false); // the OPAQUE record is gone
    expect(Buffer.from(await v.recover('pw')).equals(Buffer.from(K))).toBe(true); // now from the realms
  });

  it('registers at the realms directly, counts a wrong password per realm, and DELETE empties every realm', async () => {
    const v = await client('frank');
    const K = new Uint8Array(randomBytes(32));
    expect(await v.register(K, 'pw')).toMatchObject({ maxAttempts: 10 });
    await expect(v.recover('bad')).rejects.toMatchObject({ code: 'wrong-password', details: { attemptsRemaining: 9 } });
    expect((await v.status()).attemptsRemaining).toBe(9);
    await v.delete();
    expect((await v.status()).registered).toBe(false);
    await expect(v.recover('pw')).rejects.toMatchObject({ code: 'not-found' });
  });
});

describe('the CLI pins the realm set on first use', () => {
  it('pins, then refuses a changed set, and says who guards the password', async () => {
    const home = await mkdtemp(join(tmpdir(), 'bkv-pin-'));
    try {
      expect(await pinnedRealmSet(home, realms.primary.url)).toEqual(realms.set);
      expect(JSON.parse(await readFile(join(home, REALM_PIN_FILE), 'utf8')).set).toEqual(realms.set);
      const changed = { ...realms.set, realms: [...realms.set.realms].reverse() };
      await writeFile(join(home, REALM_PIN_FILE), JSON.stringify({ server: realms.primary.url, set: changed }));
      await expect(pinnedRealmSet(home, realms.primary.url)).rejects.toMatchObject({ kind: 'bad-answer' });
      expect(guardians(realms.set)).toBe('3 realms, any 2 recover; no single operator can test your password offline');
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('refuses a set whose realm keys changed, and takes the keys once for a pin made before sets had keys', async () => {
    const home = await mkdtemp(join(tmpdir(), 'bkv-pin-keys-'));
    const path = join(home, REALM_PIN_FILE);
    try {
      const swapped = { ...realms.set, realms: realms.set.realms.map((r, i) => (i === 1 ? { ...r, publicKey: Buffer.alloc(32, 7).toString('base64url') } : r)) };
      await writeFile(path, JSON.stringify({ server: realms.primary.url, set: swapped }));
      await expect(pinnedRealmSet(home, realms.primary.url)).rejects.toMatchObject({ kind: 'bad-answer' });
      expect(JSON.parse(await readFile(path, 'utf8')).set).toEqual(swapped); // the pin is left as it was

      const keyless = (set: typeof realms.set) => ({ ...set, realms: set.realms.map(({ publicKey: _k, ...r }) => r) });
      await writeFile(path, JSON.stringify({ server: realms.primary.url, set: keyless(realms.set) }));
      expect(await pinnedRealmSet(home, realms.primary.url)).toEqual(realms.set);
      expect(JSON.parse(await readFile(path, 'utf8')).set).toEqual(realms.set);

      const moved = { ...realms.set, realms: realms.set.realms.map((r, i) => (i === 2 ? { ...r, url: 'https://elsewhere.example' } : r)) };
      await writeFile(path, JSON.stringify({ server: realms.primary.url, set: keyless(moved) }));
      await expect(pinnedRealmSet(home, realms.primary.url)).rejects.toMatchObject({ kind: 'bad-answer' }); // not the same set
      expect(JSON.parse(await readFile(path, 'utf8')).set).toEqual(keyless(moved));
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
