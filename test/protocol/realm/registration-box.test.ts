// The registration box (protocol/realm/registration-box.ts): the HPKE library reproduces RFC 9180 appendix A.2.1
// (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305, base mode: DeriveKeyPair, enc and the first
// ciphertext from the published ikmE), and a box opens only for its realm, account and registration, unaltered.

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openRegistration, realmKeyPair, registrationSuite, sealRegistration } from '../../../protocol/realm/registration-box.js';

const h = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const ab = (b: Uint8Array) => b.slice().buffer;
const hex = (b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

const A21 = {
  ikmE: '909a9b35d3dc4713a5e72a4da274b55d3d3821a37e5d099e74a647db583a904b',
  ikmR: '1ac01f181fdf9f352797655161c58b75c656a6cc2716dcb66372da835542e1df',
  pkRm: '4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a',
  skRm: '8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb',
  enc: '1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a',
  info: '4f6465206f6e2061204772656369616e2055726e',
  aad: '436f756e742d30',
  pt: '4265617574792069732074727574682c20747275746820626561757479',
  ct: '1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28',
};

describe('registration box', () => {
  it('RFC 9180 A.2.1: DeriveKeyPair, enc and ciphertext of sequence 0', async () => {
    const kp = await realmKeyPair(h(A21.ikmR));
    expect(hex(kp.publicKey)).toBe(A21.pkRm);
    expect(hex(kp.secretKey)).toBe(A21.skRm);
    const recipientPublicKey = await registrationSuite.kem.deserializePublicKey(ab(kp.publicKey));
    const { enc, ct } = await registrationSuite.seal({ recipientPublicKey, info: ab(h(A21.info)), ekm: ab(h(A21.ikmE)) }, ab(h(A21.pt)), ab(h(A21.aad)));
    expect(hex(enc)).toBe(A21.enc);
    expect(hex(ct)).toBe(A21.ct);
  });

  it('opens only for its realm, account and version, and not once altered', async () => {
    const a = await realmKeyPair(new Uint8Array(randomBytes(32)));
    const b = await realmKeyPair(new Uint8Array(randomBytes(32)));
    const idA = new Uint8Array(16).fill(1);
    const idB = new Uint8Array(16).fill(2);
    const version = new Uint8Array(randomBytes(16));
    const record = new Uint8Array(randomBytes(365));
    const sealed = await sealRegistration(a.publicKey, idA, 'kim', version, record);
    expect(sealed.enc).toHaveLength(32);
    expect(sealed.box).toHaveLength(365 + 16);
    expect(hex((await openRegistration(a.secretKey, idA, 'kim', version, sealed.enc, sealed.box))!)).toBe(hex(record));
    const other = new Uint8Array(version);
    other[0]! ^= 1;
    const flipped = new Uint8Array(sealed.box);
    flipped[100]! ^= 1;
    for (const [secret, id, account, v, enc, box] of [
      [b.secretKey, idA, 'kim', version, sealed.enc, sealed.box], // another realm's key
      [a.secretKey, idB, 'kim', version, sealed.enc, sealed.box], // another realm id
      [a.secretKey, idA, 'kimx', version, sealed.enc, sealed.box], // another account
      [a.secretKey, idA, 'kim', other, sealed.enc, sealed.box], // another registration
      [a.secretKey, idA, 'kim', version, sealed.enc, flipped], // altered ciphertext
      [a.secretKey, idA, 'kim', version, new Uint8Array(32), sealed.box], // low-order enc
      [a.secretKey, idA, 'kim', version, sealed.enc.subarray(1), sealed.box], // short enc
    ] as const) {
      expect(await openRegistration(secret, id, account, v, enc, box)).toBeUndefined();
    }
  });
});
