// The committed realm-protocol vector (test/vectors/realm-v1.json) is what the code computes, value by value, and
// recovers the registered K; docs/protocol.md "Realms, a worked example" walks through the same values.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { computeRealmVector } from '../../helpers/realm-vector.js';

const committed = JSON.parse(readFileSync(new URL('../../vectors/realm-v1.json', import.meta.url), 'utf8')) as { input: { backupKey: string }; recovery: { backupKey: string }; registration: unknown; records: unknown; realmKeys: unknown };

describe('realm protocol vector v1', () => {
  it('reproduces every registration and recovery value and recovers K', async () => {
    const computed = await computeRealmVector();
    expect(computed.realmKeys).toEqual(committed.realmKeys);
    expect(computed.registration).toEqual(committed.registration);
    expect(computed.records).toEqual(committed.records);
    expect(computed.recovery).toEqual(committed.recovery);
    expect(committed.recovery.backupKey).toBe(committed.input.backupKey);
  });
});
