// The age streams past `inlineBytes` share their batches between this thread and the worker threads
// (batch-transform.ts, chunk-pool.ts): both really take part, the bytes are exactly those of this thread alone,
// every worker count decrypts what every other wrote, and a worker that dies with batches in flight costs
// nothing but time: this thread redoes them from the shared slots and the file still round-trips.

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChunkPool, type ChunkResult, sharedChunkPool, tasksPerWorker } from '../../client/age/chunk-pool.js';
import { createDecryptStream, createEncryptStream, encodeRecipient, x25519PublicKey } from '../../client/age/index.js';
import { run, seededRandom, testBytes } from './age/helpers.js';

const CHUNK = 65536;
const secret = randomBytes(32);
const recipient = encodeRecipient(x25519PublicKey(secret));
const plaintext = testBytes(12 * 1024 * 1024 + 4321, 21);

describe('work sharing between this thread and the workers', () => {
  it.for([1, 2])('with %i worker(s), both this thread and the workers seal and open batches, byte for byte as this thread alone', async (workers) => {
    const alone = await run(createEncryptStream({ recipients: [recipient], workers: 0, random: seededRandom(3) }), plaintext, [CHUNK]);
    const enc = createEncryptStream({ recipients: [recipient], workers, inlineBytes: 0, random: seededRandom(3) });
    const shared = await run(enc, plaintext, [CHUNK]);
    expect(shared.error).toBeUndefined();
    expect(shared.output.equals(alone.output)).toBe(true);
    expect(enc.batches.here).toBeGreaterThan(0);
    expect(enc.batches.workers).toBeGreaterThan(0);
    expect(enc.batches.redone).toBe(0);

    const dec = createDecryptStream({ identities: [secret], workers, inlineBytes: 0 });
    const opened = await run(dec, shared.output, [1 << 20]);
    expect(opened.error).toBeUndefined();
    expect(opened.output.equals(plaintext)).toBe(true);
    expect(dec.batches.here).toBeGreaterThan(0);
    expect(dec.batches.workers).toBeGreaterThan(0);
  });

  it('a short stream never starts the workers (under inlineBytes)', async () => {
    const enc = createEncryptStream({ recipients: [recipient], workers: 2 });
    const { error } = await run(enc, testBytes(3 * CHUNK, 4));
    expect(error).toBeUndefined();
    expect(enc.batches.here).toBeGreaterThan(0);
    expect(enc.batches.workers).toBe(0);
  });

  it('a lone worker holds a deeper queue than each of several', () => {
    expect(tasksPerWorker(1)).toBeGreaterThan(tasksPerWorker(2));
    expect(tasksPerWorker(3)).toBeGreaterThanOrEqual(1);
  });
});

describe('a worker that dies', () => {
  it.for(['encrypt', 'decrypt'] as const)('with batches of a stream on it (%s): this thread redoes them and the output is exact', async (mode) => {
    const sealed = (await run(createEncryptStream({ recipients: [recipient], workers: 0, random: seededRandom(8) }), plaintext)).output;
    await sharedChunkPool(3).close(); // so the stream below starts a new pool
    const stream = mode === 'encrypt'
      ? createEncryptStream({ recipients: [recipient], workers: 3, inlineBytes: 0, random: seededRandom(8) })
      : createDecryptStream({ identities: [secret], workers: 3, inlineBytes: 0 });
    const parts: Buffer[] = [];
    stream.on('data', (c: Buffer) => parts.push(c));
    const ended = new Promise<unknown>((resolve) => stream.on('end', () => resolve(undefined)).on('error', resolve));
    const input = mode === 'encrypt' ? plaintext : sealed;
    // A pool of its own (3 workers, a size no other test uses) is still starting when the first batches are
    // handed to it, and is terminated at once with those tasks unfinished.
    stream.write(input.subarray(0, 3 << 20));
    const handedOver = stream.batches.workers;
    const closing = sharedChunkPool(3).close();
    stream.end(input.subarray(3 << 20));
    await closing;
    expect(await ended).toBeUndefined();
    expect(handedOver).toBeGreaterThan(0);
    expect(stream.batches.redone).toBeGreaterThan(0);
    expect(Buffer.concat(parts).equals(mode === 'encrypt' ? sealed : plaintext)).toBe(true);
    // The next stream gets a fresh pool and uses it.
    const next = createEncryptStream({ recipients: [recipient], workers: 3, inlineBytes: 0 });
    expect((await run(next, plaintext, [CHUNK])).error).toBeUndefined();
    expect(next.batches.workers).toBeGreaterThan(0);
  });
});

describe('a worker that cannot start', () => {
  it('fails its task once and is not started again: the pool says it has no room', async () => {
    const pool = new ChunkPool(2, new URL('./age/broken-worker.js', import.meta.url));
    const sab = new SharedArrayBuffer(CHUNK);
    const task = { op: 'seal' as const, key: randomBytes(32), counter: 0, sab, at: 0, length: CHUNK, final: false };
    const result = await new Promise<ChunkResult>((resolve) => expect(pool.tryRun(task, resolve)).toBe(true));
    expect('fault' in result && result.fault.message).toMatch(/cannot start|exited/);
    // The other worker dies the same way; once both are gone nothing is respawned.
    for (let waited = 0; pool.hasRoom() && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    expect(pool.hasRoom()).toBe(false);
    expect(pool.tryRun(task, () => {})).toBe(false);
    await pool.close();
  });
});
