// The threshold VOPRF of the realm protocol: RFC 9497 VOPRF (mode 0x01) on ristretto255-SHA512 from
// @noble/curves, evaluated by each realm under its Shamir share with a DLEQ proof against the share's public key,
// and combined by the client with Lagrange coefficients (docs/protocol.md "Realms"). Because RFC 9497's Finalize
// hashes only the input and the unblinded element, Finalize over the combined element equals the VOPRF output
// under the full key k = Σ λ_i k_i, which is what registration computes with k itself.

import { ristretto255_oprf } from '@noble/curves/ed25519.js';
import { BkvError } from '../errors.js';
import { defaultRandomBytes, type RandomBytes } from '../random.js';
import { elementFromBytes, publicKeyOf, scalarToBytes } from './shamir.js';

const voprf = ristretto255_oprf.voprf;

/** noble's RNG type: bytes for an optional length (it always passes one). */
const rng = (random: RandomBytes) => (n?: number) => new Uint8Array(random(n ?? 32));

export interface Blinded {
  blind: Uint8Array;
  blindedElement: Uint8Array;
}

export function blind(input: Uint8Array, random: RandomBytes = defaultRandomBytes): Blinded {
  const { blind: b, blinded } = voprf.blind(input, rng(random));
  return { blind: b, blindedElement: blinded };
}

/** Realm side: k_i·B and a DLEQ proof that log_G(P_i) = log_B(k_i·B). Refuses a non-element or the identity. */
export function evaluateShare(
  share: bigint, blindedElement: Uint8Array, random: RandomBytes = defaultRandomBytes,
): { evaluatedElement: Uint8Array; proof: Uint8Array } {
  elementFromBytes(blindedElement, 'blinded element');
  const { evaluated, proof } = voprf.blindEvaluate(scalarToBytes(share), publicKeyOf(share), blindedElement, rng(random));
  return { evaluatedElement: evaluated, proof };
}

/** Client side: whether the realm's evaluation carries a valid DLEQ proof for `publicKey`. */
export function verifyEvaluation(
  input: Uint8Array, b: Blinded, evaluatedElement: Uint8Array, publicKey: Uint8Array, proof: Uint8Array,
): boolean {
  try {
    elementFromBytes(evaluatedElement);
    voprf.finalize(input, b.blind, evaluatedElement, b.blindedElement, publicKey, proof);
    return true;
  } catch {
    return false;
  }
}

/** Client side: the OPRF output (64 bytes) from the Lagrange-combined evaluated element. */
export function finalizeCombined(input: Uint8Array, b: Blinded, combinedElement: Uint8Array): Uint8Array {
  try {
    return ristretto255_oprf.oprf.finalize(input, b.blind, combinedElement);
  } catch (e) {
    throw new BkvError('bad-request', 'combined element is not valid', { cause: e });
  }
}

/** The OPRF output under the full key (registration: the client holds k before dealing it). */
export function evaluateFull(key: bigint, input: Uint8Array, random: RandomBytes = defaultRandomBytes): Uint8Array {
  const b = blind(input, random);
  const { evaluatedElement } = evaluateShare(key, b.blindedElement, random);
  return finalizeCombined(input, b, evaluatedElement);
}
