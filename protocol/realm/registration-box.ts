// The registration box (docs/protocol.md "Realms, registration"): each realm's record travels encrypted to that
// realm's long-term public key from the pinned realm set, so a relay that reads every registration body (a
// TLS-inspecting proxy, t compromised gateways) learns no share. HPKE (RFC 9180) base mode, single-shot, with the
// suite DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305 (RFC 9180 appendix A.2, whose vector
// test/protocol/realm/registration-box.test.ts replays), from the maintained @hpke/core and
// @hpke/chacha20poly1305: nothing here is hand-written cryptography, only the info string that binds a box to
// one realm, one account and one registration (so a box for realm A is useless at realm B or for another account).
// A realm's key pair is RFC 9180 DeriveKeyPair of a 32-byte seed the realm keeps (functions/realm/deps.ts).

import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { defaultRandomBytes, type RandomBytes } from '../random.js';
import { REALM_LABELS, VERSION_BYTES, X25519_PUBLIC_BYTES } from './constants.js';
import { concat, lengthPrefixed, utf8 } from './encoding.js';

/** The HPKE suite (exported for the RFC 9180 A.2 known-answer test). */
export const registrationSuite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });

/** HPKE's Nenc for DHKEM(X25519): the encapsulated key, an X25519 public key. */
export const REGISTRATION_ENC_BYTES = X25519_PUBLIC_BYTES;
/** ChaCha20-Poly1305's tag. */
export const REGISTRATION_BOX_OVERHEAD = 16;

const ab = (b: Uint8Array): ArrayBuffer => b.slice().buffer;

/** info = "bkv/realm/v1/registration-box" ‖ realmId ‖ version ‖ u16(len(account)) ‖ account. */
export function registrationBoxInfo(realmId: Uint8Array, account: string, version: Uint8Array): Uint8Array {
  if (version.length !== VERSION_BYTES) throw new RangeError('version must be 16 bytes');
  return concat(REALM_LABELS.registrationBox, realmId, version, lengthPrefixed(utf8(account)));
}

export interface RealmKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** RFC 9180 DeriveKeyPair(seed) for DHKEM(X25519, HKDF-SHA256): a realm's long-term registration key. */
export async function realmKeyPair(seed: Uint8Array): Promise<RealmKeyPair> {
  if (seed.length < 32) throw new RangeError('realm key seed must be at least 32 bytes');
  const kp = await registrationSuite.kem.deriveKeyPair(ab(seed));
  return {
    publicKey: new Uint8Array(await registrationSuite.kem.serializePublicKey(kp.publicKey)),
    secretKey: new Uint8Array(await registrationSuite.kem.serializePrivateKey(kp.privateKey)),
  };
}

export interface RegistrationBox {
  /** HPKE `enc`, the sender's ephemeral X25519 public key. */
  enc: Uint8Array;
  /** HPKE ciphertext of the encoded record (protocol/realm/record.ts) ‖ tag. */
  box: Uint8Array;
  /** The ephemeral key's 32-byte input keying material (DeriveKeyPair(ikmE)): the vector lists it. */
  ikmE: Uint8Array;
}

/** Seals `record` for the realm with public key `realmPublicKey`; the ephemeral key is DeriveKeyPair(32 random bytes). */
export async function sealRegistration(
  realmPublicKey: Uint8Array, realmId: Uint8Array, account: string, version: Uint8Array, record: Uint8Array,
  random: RandomBytes = defaultRandomBytes,
): Promise<RegistrationBox> {
  if (realmPublicKey.length !== X25519_PUBLIC_BYTES) throw new RangeError('realm public key must be 32 bytes');
  const ikmE = random(32);
  const recipientPublicKey = await registrationSuite.kem.deserializePublicKey(ab(realmPublicKey));
  const { enc, ct } = await registrationSuite.seal(
    { recipientPublicKey, info: ab(registrationBoxInfo(realmId, account, version)), ekm: ab(ikmE) }, ab(record),
  );
  return { enc: new Uint8Array(enc), box: new Uint8Array(ct), ikmE };
}

/** The record a box holds for this realm, account and registration, or undefined when it does not open. */
export async function openRegistration(
  realmSecretKey: Uint8Array, realmId: Uint8Array, account: string, version: Uint8Array, enc: Uint8Array, box: Uint8Array,
): Promise<Uint8Array | undefined> {
  if (enc.length !== REGISTRATION_ENC_BYTES || box.length < REGISTRATION_BOX_OVERHEAD || version.length !== VERSION_BYTES) return undefined;
  try {
    const recipientKey = await registrationSuite.kem.deserializePrivateKey(ab(realmSecretKey));
    return new Uint8Array(await registrationSuite.open({ recipientKey, enc: ab(enc), info: ab(registrationBoxInfo(realmId, account, version)) }, ab(box)));
  } catch {
    return undefined;
  }
}
