// docs/protocol.md "Realms, a worked example" prints the committed realm vector (test/vectors/realm-v1.json) step by
// step: every value in the doc equals the vector's, and every vector value (but the few the doc says it leaves out)
// is in the doc, so neither can change without the other.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { leaves, OMITTED, parseWorkedExample } from '../../helpers/realm-vector-doc.js';

const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
const vector = leaves(JSON.parse(readFileSync(new URL('../../vectors/realm-v1.json', import.meta.url), 'utf8')));

describe('docs/protocol.md worked example', () => {
  const printed = parseWorkedExample(doc);

  it('prints only values of the vector, each equal to it', () => {
    expect(printed.size).toBeGreaterThan(80);
    for (const [path, value] of printed) expect({ path, value }).toEqual({ path, value: vector.get(path) });
  });

  it('prints every value of the vector but the ones it says it leaves out', () => {
    const missing = [...vector.keys()].filter((k) => !printed.has(k) && !OMITTED.some((o) => o.test(k)));
    expect(missing).toEqual([]);
    // what it leaves out is derivable from what it prints: each record repeats a registration value
    for (const i of [0, 1, 2]) {
      expect(vector.get(`records[${i}].oprfShare`)).toBe(vector.get(`registration.oprfShares[${i}]`));
      expect(vector.get(`records[${i}].encryptionShare`)).toBe(vector.get(`registration.encryptionShares[${i}]`));
      expect(vector.get(`records[${i}].encryptedSecret`)).toBe(vector.get('registration.encryptedSecret'));
    }
  });

  it('reads a changed digit as a different value (the check can fail)', () => {
    const changed = doc.replace(`registration.salt = ${vector.get('registration.salt')!}`, `registration.salt = ${'0'.repeat(64)}`);
    expect(changed).not.toBe(doc);
    expect(parseWorkedExample(changed).get('registration.salt')).not.toBe(vector.get('registration.salt'));
  });
});
