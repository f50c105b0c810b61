// One name per setting (protocol/env.ts): each setting's CDK context key, Lambda variable and local variable are
// spellings of its one key by a fixed rule, and an old name is still read, with a warning, only when the new one
// is unset.

import { describe, expect, it } from 'vitest';
import { RESOURCE_ENV, SETTINGS, settingFromEnv, type SettingNames } from '../../protocol/env.js';

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

describe('setting names', () => {
  it.for(Object.entries(SETTINGS) as [string, SettingNames][])('%s is spelled by the one rule everywhere', ([key, names]) => {
    if (names.context !== undefined) expect(names.context).toBe(`bkv:${key}`);
    if (names.lambda !== undefined) expect(names.lambda).toBe(snake(key));
    if (names.local !== undefined) expect(names.local).toBe(`BKV_${snake(key)}`);
  });

  it('no two settings or resources share a variable', () => {
    const all = [
      ...Object.values(SETTINGS).flatMap((n: SettingNames) => [n.lambda, n.local, ...(n.localAliases ?? []), ...(n.lambdaAliases ?? [])]),
      ...Object.values(RESOURCE_ENV),
    ].filter((n) => n !== undefined);
    expect(new Set(all).size).toBe(all.length);
  });

  it('the repository quota has one key: bkv:repoQuotaBytes, REPO_QUOTA_BYTES, BKV_REPO_QUOTA_BYTES', () => {
    expect(SETTINGS.repoQuotaBytes).toMatchObject({ context: 'bkv:repoQuotaBytes', lambda: 'REPO_QUOTA_BYTES', local: 'BKV_REPO_QUOTA_BYTES' });
  });
});

describe('settingFromEnv', () => {
  const q = SETTINGS.repoQuotaBytes;

  it('reads the name, and an old name only when the name is unset or empty, saying so', () => {
    const warnings: string[] = [];
    const warn = (m: string) => void warnings.push(m);
    expect(settingFromEnv({ BKV_REPO_QUOTA_BYTES: '5', BKV_MAX_BACKUP_BYTES: '7' }, q.local, q.localAliases, warn)).toBe('5');
    expect(warnings).toEqual([]);
    expect(settingFromEnv({ BKV_REPO_QUOTA_BYTES: '', BKV_MAX_BACKUP_BYTES: '7' }, q.local, q.localAliases, warn)).toBe('7');
    expect(warnings).toEqual(['BKV_MAX_BACKUP_BYTES is an old name: set BKV_REPO_QUOTA_BYTES instead']);
  });

  it('absent everywhere is undefined (the default applies)', () => {
    expect(settingFromEnv({}, q.local, q.localAliases)).toBeUndefined();
    expect(settingFromEnv({ BKV_MAX_BACKUP_BYTES: '' }, q.local, q.localAliases)).toBeUndefined();
  });

  it('a function still reads the presigned URL lifetime under its old name REPO_URL_TTL_SECONDS', () => {
    const u = SETTINGS.urlTtlSeconds;
    expect(settingFromEnv({ REPO_URL_TTL_SECONDS: '60' }, u.lambda, u.lambdaAliases)).toBe('60');
    expect(settingFromEnv({ REPO_URL_TTL_SECONDS: '60', URL_TTL_SECONDS: '120' }, u.lambda, u.lambdaAliases)).toBe('120');
  });
});
