// Runs the C2SP CCTV age test vectors (npm `cctv-age`) against our decrypting stream: each vector is one test
// asserting its exact `expect` outcome, the AgeError kind, and the hash of whatever plaintext was released.
// Vectors this implementation cannot run are filtered out by name with the reason: ASCII armor (backups are
// binary files), scrypt passphrase recipients and ML-KEM hybrid identities (backups use X25519 only).

import * as vectors from 'cctv-age';
import { randomBytes } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createDecryptStream, isAgeError, parseIdentity, type AgeErrorKind } from '../../client/age/index.js';
import { run, sha256hex } from './age/helpers.js';

interface Vector {
  name: string;
  expect: string;
  payload: string | undefined;
  identities: string[];
  passphrases: string[];
  armored: boolean;
  file: Uint8Array;
}

function parse(name: string, bytes: Uint8Array): Vector {
  const buf = Buffer.from(bytes);
  const split = buf.indexOf('\n\n');
  const meta = new Map<string, string[]>();
  for (const line of buf.subarray(0, split).toString('utf8').split('\n')) {
    const i = line.indexOf(': ');
    meta.set(line.slice(0, i), [...(meta.get(line.slice(0, i)) ?? []), line.slice(i + 2)]);
  }
  let file: Uint8Array = buf.subarray(split + 2);
  if (meta.get('compressed')?.[0] === 'zlib') file = inflateSync(file);
  return {
    name,
    expect: meta.get('expect')![0]!,
    payload: meta.get('payload')?.[0],
    identities: meta.get('identity') ?? [],
    passphrases: meta.get('passphrase') ?? [],
    armored: meta.get('armored')?.[0] === 'yes',
    file,
  };
}

const all = Object.entries(vectors as unknown as Record<string, Uint8Array>)
  .filter(([name, v]) => name !== 'default' && v instanceof Uint8Array)
  .map(([name, v]) => parse(name, v));

function unsupported(v: Vector): string | undefined {
  if (v.armored) return 'ascii armor';
  if (v.passphrases.length > 0) return 'scrypt passphrase';
  if (v.identities.some((i) => !i.startsWith('AGE-SECRET-KEY-1'))) return 'ml-kem hybrid identity';
  return undefined;
}

const runnable = all.filter((v) => unsupported(v) === undefined);
const filtered = all.filter((v) => unsupported(v) !== undefined).map((v) => `${v.name} (${unsupported(v)})`);

const KIND: Record<string, AgeErrorKind | 'success'> = {
  'success': 'success',
  'header failure': 'header',
  'HMAC failure': 'hmac',
  'no match': 'no-match',
  'payload failure': 'payload',
};

describe('cctv-age vectors', () => {
  it('are all accounted for: run, or filtered out for a named unsupported feature', () => {
    expect(all.length).toBeGreaterThan(100);
    expect(runnable.length + filtered.length).toBe(all.length);
    expect(runnable.length).toBe(67); // cctv-age 0.2.0: 143 vectors, 76 need armor, scrypt or ML-KEM
    expect(filtered.every((f) => /\((ascii armor|scrypt passphrase|ml-kem hybrid identity)\)$/.test(f))).toBe(true);
  });

  it.for(runnable.map((v) => [v.name, v] as const))('%s', async ([, v]) => {
    const expected = KIND[v.expect];
    expect(expected, `unknown expect ${v.expect}`).toBeDefined();
    // Fed whole, then in odd-sized pieces, then through the worker threads: the outcome must not depend on
    // how the bytes arrive or where the chunks are opened.
    for (const [sizes, workers] of [[[v.file.length || 1], 0], [[1, 7, 4099, 65553], 0], [[v.file.length || 1], 2]] as const) {
      // A vector without an identity (`empty`) fails before any is needed; give it an unrelated one.
      const identities = v.identities.length > 0 ? v.identities.map(parseIdentity) : [randomBytes(32)];
      const { output, error } = await run(createDecryptStream({ identities, workers, inlineBytes: 0 }), v.file, sizes);
      if (expected === 'success') {
        expect(error).toBeUndefined();
      } else {
        expect(isAgeError(error), String(error)).toBe(true);
        expect((error as { check: string }).check).toBe(expected);
      }
      if (v.payload !== undefined) expect(sha256hex(output)).toBe(v.payload);
      else expect(output.length).toBe(0);
    }
  });
});
