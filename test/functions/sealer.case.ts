// Shared suite of the Sealer port: every adapter must bind purpose and account (invariant 6) and refuse
// anything it did not seal under exactly that context, with BkvError 'internal'.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BkvError } from '../../protocol/errors.js';
import { SEAL_PURPOSES, type SealContext, type Sealer } from '../../functions/ports.js';

async function unsealError(sealer: Sealer, blob: Uint8Array, ctx: SealContext): Promise<unknown> {
  return sealer.unseal(blob, ctx).then(() => undefined, (e: unknown) => e);
}

export function sealerSuite(name: string, make: () => Sealer): void {
  describe(`Sealer: ${name}`, () => {
    it('round-trips any plaintext up to 4 KiB under its context', async () => {
      const sealer = make();
      await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.constantFrom(...SEAL_PURPOSES), fc.string({ minLength: 1, maxLength: 40 }),
        async (plain, purpose, account) => {
          const sealed = await sealer.seal(plain, { purpose, account });
          expect(Buffer.from(sealed).includes(Buffer.from(plain)) && plain.length > 8).toBe(false);
          expect(Buffer.from(await sealer.unseal(sealed, { purpose, account })).equals(Buffer.from(plain))).toBe(true);
        }), { numRuns: 30 });
    });

    it.for([
      ['another account', { purpose: 'sealed-key', account: 'mallory' }],
      ['another purpose', { purpose: 'login-state', account: 'alice' }],
      ['the deployment', { purpose: 'sealed-key', account: '#deployment' }],
    ] as const)('refuses a blob moved to %s', async ([, ctx]) => {
      const sealer = make();
      const sealed = await sealer.seal(new Uint8Array(32).fill(7), { purpose: 'sealed-key', account: 'alice' });
      const e = await unsealError(sealer, sealed, ctx);
      expect(e).toBeInstanceOf(BkvError);
      expect((e as BkvError).code).toBe('internal');
    });

    it('refuses every single-bit flip and truncation', async () => {
      const sealer = make();
      const ctx: SealContext = { purpose: 'opaque-record', account: 'alice' };
      const sealed = await sealer.seal(new Uint8Array(16).fill(1), ctx);
      for (let bit = 0; bit < sealed.length * 8; bit += 7) {
        const copy = new Uint8Array(sealed);
        copy[bit >> 3]! ^= 1 << (bit & 7);
        expect(await unsealError(sealer, copy, ctx)).toBeInstanceOf(BkvError);
      }
      expect(await unsealError(sealer, sealed.subarray(0, sealed.length - 1), ctx)).toBeInstanceOf(BkvError);
      expect(await unsealError(sealer, new Uint8Array(0), ctx)).toBeInstanceOf(BkvError);
    });
  });
}
