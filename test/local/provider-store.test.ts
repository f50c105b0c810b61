// The local OpenID provider's state store (local/provider-store.ts), through oidc-provider's adapter interface:
// what is upserted is found again by a new runtime on the same data dir (a sign-in survives a restart), expiry
// is by the `expiresIn` given, consume marks, destroy and revokeByGrantId remove, files are 0600, and a damaged
// file loses only the sign-ins, never the runtime.

import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileAdapterFactory } from '../../local/provider-store.js';

function dir(): string {
  return join(mkdtempSync(join(tmpdir(), 'bkv-oidc-store-')), 'oidc');
}

describe('local OpenID provider state in the data dir', () => {
  it('a refresh token upserted by one runtime is found by the next one on the same data dir', async () => {
    const d = dir();
    const First = fileAdapterFactory(d);
    await new First('RefreshToken').upsert('rt1', { grantId: 'g1', accountId: 'erin' }, 3600);
    const Next = fileAdapterFactory(d);
    expect(await new Next('RefreshToken').find('rt1')).toEqual({ grantId: 'g1', accountId: 'erin' });
    expect(await new Next('Session').find('rt1')).toBeUndefined();
    expect(statSync(join(d, 'RefreshToken.json')).mode & 0o777).toBe(0o600);
    expect(statSync(d).mode & 0o777).toBe(0o700);
  });

  it('expires entries after expiresIn, and drops them from the file', async () => {
    let t = 1_000_000;
    const d = dir();
    const A = fileAdapterFactory(d, () => t);
    const a = new A('AuthorizationCode');
    await a.upsert('c1', { uid: 'u1' }, 60);
    expect(await a.find('c1')).toBeDefined();
    expect(await a.findByUid('u1')).toBeDefined();
    t += 60_000;
    expect(await a.find('c1')).toBeUndefined();
    expect(await a.findByUid('u1')).toBeUndefined();
    await a.upsert('c2', {}, 60);
    expect(Object.keys(JSON.parse(readFileSync(join(d, 'AuthorizationCode.json'), 'utf8')) as object)).toEqual(['c2']);
  });

  it('consume marks a code used; destroy and revokeByGrantId remove, and the removal persists', async () => {
    const d = dir();
    const A = fileAdapterFactory(d, () => 5_000);
    const a = new A('AccessToken');
    await a.upsert('t1', { grantId: 'g1' }, 3600);
    await a.upsert('t2', { grantId: 'g1' }, 3600);
    await a.upsert('t3', { grantId: 'g2', userCode: 'ABCD' }, 3600);
    await a.consume('t3');
    expect(await a.find('t3')).toEqual({ grantId: 'g2', userCode: 'ABCD', consumed: 5 });
    expect(await a.findByUserCode('ABCD')).toBeDefined();
    await a.revokeByGrantId('g1');
    await a.destroy('t3');
    const B = fileAdapterFactory(d, () => 5_000);
    const b = new B('AccessToken');
    expect([await b.find('t1'), await b.find('t2'), await b.find('t3')]).toEqual([undefined, undefined, undefined]);
  });

  it('a damaged state file means no sign-ins, not a crash; a model name is never a path', async () => {
    const d = dir();
    fileAdapterFactory(d);
    writeFileSync(join(d, 'Grant.json'), '{not json');
    const A = fileAdapterFactory(d);
    expect(await new A('Grant').find('x')).toBeUndefined();
    expect(() => new A('../Grant')).toThrow(/bad oidc model name/);
  });
});
