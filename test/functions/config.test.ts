// functions/config.ts: a bad setting in the Lambda environment is the deployment's fault, so it is a plain Error
// (answered as a bare 500 by functions/http/problem.ts), not a BkvError('bad-request') the caller would get as 400.

import { describe, expect, it } from 'vitest';
import { parseRepoConfig } from '../../functions/repo/deps.js';
import { parseMaxAttempts } from '../../functions/config.js';
import { isBkvError } from '../../protocol/errors.js';

describe('server settings', () => {
  it.for([['1', 1], ['255', 255], [undefined, 10]] as const)('maxAttempts %j reads as %i', ([raw, want]) => {
    expect(parseMaxAttempts(raw)).toBe(want);
  });

  it.for(['0', '256', '1e1'])('maxAttempts %j is refused with a plain Error', (raw) => {
    let thrown: unknown;
    try {
      parseMaxAttempts(raw);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(isBkvError(thrown)).toBe(false);
    expect((thrown as Error).message).toBe('maxAttempts must be an integer from 1 to 255');
  });

  it('repository settings at their bounds, refused with a plain Error beyond', () => {
    expect(parseRepoConfig({ quotaBytes: String(2 ** 20), urlTtlSeconds: 60 })).toEqual({ quotaBytes: 2 ** 20, urlTtlSeconds: 60 });
    expect(parseRepoConfig({ quotaBytes: 2 ** 50 })).toEqual({ quotaBytes: 2 ** 50, urlTtlSeconds: 3600 });
    expect(parseRepoConfig({})).toEqual({ quotaBytes: 50 * 2 ** 30, urlTtlSeconds: 3600 });
    expect(() => parseRepoConfig({ urlTtlSeconds: '604801' })).toThrow(/^repository url lifetime must be an integer from 60 to 604800$/);
    expect(() => parseRepoConfig({ quotaBytes: 2 ** 20 - 1 })).toThrow(/^repository quota bytes must be an integer from 1048576 to 1125899906842624$/);
    expect(isBkvError((() => { try { parseRepoConfig({ quotaBytes: 'x' }); } catch (e) { return e; } })())).toBe(false);
  });
});
