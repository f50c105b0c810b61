// local/read-body.ts: the bounded body reader and the shared budget of bodies held at once (docs/threat-model.md
// "The local runtime"): a body over its limit is BodyTooLarge at exactly limit + 1; a body whose share does not fit
// the budget is BodiesBusy before a byte is read; shares come back when the request is done, or when reading fails.

import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BodiesBusy, BodyBudget, BodyTooLarge, readBody } from '../../local/read-body.js';

/** A request-like stream with headers, fed `chunks` and then ended. */
function request(contentLength: number | undefined, chunks: Buffer[] = [], end = true) {
  const s = Object.assign(new PassThrough(), { headers: contentLength === undefined ? {} : { 'content-length': String(contentLength) } });
  for (const c of chunks) s.write(c);
  if (end) s.end();
  return s;
}

describe('readBody', () => {
  it.for([[99, false], [100, false], [101, true]] as const)('%i bytes against a limit of 100: too large %s', async ([n, tooLarge]) => {
    const got = readBody(request(n, [Buffer.alloc(n, 1)]), 100);
    if (tooLarge) await expect(got).rejects.toBeInstanceOf(BodyTooLarge);
    else expect((await got).length).toBe(n);
  });
});

describe('BodyBudget', () => {
  it.for([[1000, 1000, true], [1000, 1001, false]] as const)('a total of %i takes a declared %i: %s', async ([total, declared, fits]) => {
    const budget = new BodyBudget(total);
    const req = request(declared, [Buffer.alloc(declared)], true);
    if (fits) {
      const { body, done } = await budget.read(req, 2000);
      expect(body.length).toBe(declared);
      expect(budget.inUse).toBe(declared);
      done();
      done(); // idempotent
      expect(budget.inUse).toBe(0);
    } else {
      await expect(budget.read(req, 2000)).rejects.toBeInstanceOf(BodiesBusy);
      expect(budget.inUse).toBe(0);
    }
  });

  it('bodies still arriving hold their shares: the next one that does not fit is refused before a byte is read', async () => {
    const budget = new BodyBudget(100);
    const slow = request(60, [Buffer.alloc(10)], false); // 10 of 60 bytes so far
    const reading = budget.read(slow, 64);
    expect(budget.inUse).toBe(60);
    const second = request(41, [Buffer.alloc(41)]);
    await expect(budget.read(second, 64)).rejects.toBeInstanceOf(BodiesBusy);
    expect(second.readableLength).toBe(41); // untouched
    slow.end(Buffer.alloc(50));
    const { done } = await reading;
    done();
    expect((await budget.read(request(41, [Buffer.alloc(41)]), 64)).body.length).toBe(41);
  });

  it('without a content-length a body takes the per-request limit + 1; over the limit it is too large and gives its share back', async () => {
    const budget = new BodyBudget(1000);
    const chunked = request(undefined, [Buffer.alloc(65)]);
    await expect(budget.read(chunked, 64)).rejects.toBeInstanceOf(BodyTooLarge);
    expect(budget.inUse).toBe(0);
    const declaredHuge = request(10 ** 9, [Buffer.alloc(65)], false);
    await expect(budget.read(declaredHuge, 64)).rejects.toBeInstanceOf(BodyTooLarge);
    expect(budget.inUse).toBe(0);
  });

  it('a stream error gives the share back', async () => {
    const budget = new BodyBudget(100);
    const req = request(50, [], false);
    const reading = budget.read(req, 64);
    req.destroy(new Error('reset'));
    await expect(reading).rejects.toThrow('reset');
    expect(budget.inUse).toBe(0);
  });
});
