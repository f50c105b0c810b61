// The whole vault protocol over HTTP against the local runtime: register K behind a password, recover it on a
// "new device", wrong passwords count down, the limit destroys the key, re-registration starts over.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BkvError } from '../../protocol/errors.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime({ maxAttempts: 3 });
});
afterAll(async () => rt.stop());

async function rejection(p: Promise<unknown>): Promise<BkvError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(BkvError);
  return e as BkvError;
}

describe('vault over http', () => {
  it('recovers exactly the registered key with the right password', async () => {
    const client = await rt.vaultClient('alice');
    const key = new Uint8Array(randomBytes(32));
    await expect(client.register(key, 'correct horse')).resolves.toEqual({ generation: 1, maxAttempts: 3 });
    const recovered = await (await rt.vaultClient('alice')).recover('correct horse');
    expect(Buffer.from(recovered).equals(Buffer.from(key))).toBe(true);
    expect(await client.status()).toEqual({ registered: true, generation: 1, attemptsRemaining: 3, maxAttempts: 3, locked: false });
  });

  it('counts wrong passwords down, destroys the key at the limit, then answers locked', async () => {
    const client = await rt.vaultClient('bob');
    const key = new Uint8Array(randomBytes(32));
    await client.register(key, 'right');
    const first = await rejection(client.recover('wrong'));
    expect(first.code).toBe('wrong-password');
    expect(first.details.attemptsRemaining).toBe(2);
    expect((await rejection(client.recover('wrong'))).details.attemptsRemaining).toBe(1);
    const last = await rejection(client.recover('wrong'));
    expect(last.code).toBe('locked');
    expect(await client.status()).toMatchObject({ registered: true, locked: true, attemptsRemaining: 0 });
    expect((await rejection(client.recover('right'))).code).toBe('locked');
  });

  it('a success resets the count; a password change keeps K under a new generation', async () => {
    const client = await rt.vaultClient('carol');
    const key = new Uint8Array(32).fill(1);
    await client.register(key, 'one');
    await rejection(client.recover('nope'));
    expect((await client.status()).attemptsRemaining).toBe(2);
    await client.recover('one');
    expect((await client.status()).attemptsRemaining).toBe(3);
    expect(await client.changePassword('one', 'two')).toEqual({ generation: 2, maxAttempts: 3 });
    expect(Buffer.from(await client.recover('two')).equals(Buffer.from(key))).toBe(true);
    expect((await rejection(client.recover('one'))).code).toBe('wrong-password');
  });

  it('answers not-found for an account without a vault, and delete removes it', async () => {
    const client = await rt.vaultClient('dave');
    expect((await rejection(client.recover('x'))).code).toBe('not-found');
    await client.register(new Uint8Array(32), 'pw');
    await client.delete();
    expect((await client.status()).registered).toBe(false);
    expect((await rejection(client.recover('pw'))).code).toBe('not-found');
  });
});
