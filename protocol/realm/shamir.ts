// Shamir secret sharing over the ristretto255 scalar field, and Lagrange interpolation at 0 of scalars and of group
// elements (the threshold OPRF combination of the Juicebox protocol, whitepaper rev 7 "T-OPRFs"; 2HashTDH of
// Jarecki et al. 2017). Hand-written because no maintained package ships it for ristretto255: it is a polynomial
// evaluation and the Lagrange formula, with every field and group operation taken from @noble/curves
// (ristretto255's scalar field Fn and Point). Share x-coordinates are the realms' 1-based positions in the realm set.

import { ristretto255 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { BkvError } from '../errors.js';
import { defaultRandomBytes, type RandomBytes } from '../random.js';
import { ELEMENT_BYTES, SCALAR_BYTES } from './constants.js';

const Point = ristretto255.Point;
const Fn = Point.Fn;

/** A uniformly random non-zero scalar: 64 random bytes reduced mod the group order (RFC 9497's RandomScalar). */
export function randomScalar(random: RandomBytes = defaultRandomBytes): bigint {
  for (;;) {
    const s = Fn.create(bytesToNumberLE(random(64)));
    if (s !== 0n) return s;
  }
}

export function scalarToBytes(s: bigint): Uint8Array {
  return Fn.toBytes(s);
}

/** A canonical 32-byte little-endian scalar, or a BkvError('bad-request'). */
export function scalarFromBytes(bytes: Uint8Array, what = 'scalar'): bigint {
  if (bytes.length !== SCALAR_BYTES) throw new BkvError('bad-request', `${what} must be ${SCALAR_BYTES} bytes`);
  const s = bytesToNumberLE(bytes);
  if (s >= Fn.ORDER) throw new BkvError('bad-request', `${what} is not a canonical scalar`);
  return s;
}

/** n shares (x = 1..n) of `secret` with threshold t: f(x) = secret + a1·x + … + a(t-1)·x^(t-1), ai random. */
export function deal(secret: bigint, n: number, t: number, random: RandomBytes = defaultRandomBytes): bigint[] {
  if (!Number.isInteger(n) || !Number.isInteger(t) || t < 1 || n < t) throw new RangeError('need 1 <= t <= n');
  const coefficients = [Fn.create(secret)];
  for (let i = 1; i < t; i++) coefficients.push(randomScalar(random));
  const shares: bigint[] = [];
  for (let x = 1; x <= n; x++) {
    let y = 0n;
    for (let i = coefficients.length - 1; i >= 0; i--) y = Fn.add(Fn.mul(y, BigInt(x)), coefficients[i]!);
    shares.push(y);
  }
  return shares;
}

/** λ_i(0) for the share at `xs[i]` among the distinct positive x-coordinates `xs`. */
export function lagrangeAtZero(xs: readonly number[], i: number): bigint {
  if (new Set(xs).size !== xs.length || xs.some((x) => !Number.isInteger(x) || x < 1)) throw new RangeError('x-coordinates must be distinct positive integers');
  const xi = BigInt(xs[i]!);
  let num = 1n;
  let den = 1n;
  xs.forEach((x, j) => {
    if (j === i) return;
    num = Fn.mul(num, BigInt(x));
    den = Fn.mul(den, Fn.sub(BigInt(x), xi));
  });
  return Fn.div(num, den);
}

/** The secret f(0) from shares at distinct x (exactly t of them give the dealt secret). */
export function combineScalars(shares: readonly { x: number; value: bigint }[]): bigint {
  const xs = shares.map((s) => s.x);
  return shares.reduce((acc, s, i) => Fn.add(acc, Fn.mul(lagrangeAtZero(xs, i), s.value)), 0n);
}

/** Σ λ_i·E_i over encoded ristretto255 elements: k·B from the evaluations k_i·B of t shares. */
export function combineElements(shares: readonly { x: number; element: Uint8Array }[]): Uint8Array {
  const xs = shares.map((s) => s.x);
  let acc = Point.ZERO;
  shares.forEach((s, i) => {
    acc = acc.add(elementFromBytes(s.element).multiply(lagrangeAtZero(xs, i)));
  });
  return acc.toBytes();
}

/** s·G, encoded (a share's public key). */
export function publicKeyOf(s: bigint): Uint8Array {
  return Point.BASE.multiply(s).toBytes();
}

/** A canonical non-identity ristretto255 element, or a BkvError('bad-request'). */
export function elementFromBytes(bytes: Uint8Array, what = 'element'): InstanceType<typeof Point> {
  if (bytes.length !== ELEMENT_BYTES) throw new BkvError('bad-request', `${what} must be ${ELEMENT_BYTES} bytes`);
  let p: InstanceType<typeof Point>;
  try {
    p = Point.fromBytes(bytes);
  } catch (e) {
    throw new BkvError('bad-request', `${what} is not a ristretto255 element`, { cause: e });
  }
  if (p.is0()) throw new BkvError('bad-request', `${what} is the identity`);
  return p;
}
