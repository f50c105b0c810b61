// functions/config.ts: a bad setting in the Lambda environment is the deployment's fault, so it is a plain Error
// (answered as a bare 500 by functions/http/problem.ts), not a BkvError('bad-request') the caller would get as 400.

import { describe, expect, it } from 'vitest';
import { parseBackupsConfig } from '../../functions/backups/deps.js';
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

  it('backup settings at their bounds', () => {
    expect(parseBackupsConfig({ retention: '100', urlTtlSeconds: 60 })).toMatchObject({ retention: 100, urlTtlSeconds: 60 });
    expect(() => parseBackupsConfig({ urlTtlSeconds: '604801' })).toThrow(/^backup url lifetime must be an integer from 60 to 604800$/);
    expect(() => parseBackupsConfig({ retention: 0 })).toThrow(/^backup retention must be an integer from 1 to 100$/);
  });
});
