// protocol/settings.ts: the one integer-setting parser, at its exact boundaries, and the error it refuses with.

import { describe, expect, it } from 'vitest';
import { BkvError } from '../../protocol/errors.js';
import { intSetting, MAX_ATTEMPTS, URL_TTL_SECONDS } from '../../protocol/settings.js';

const BOUNDS = { min: 0, max: 4, default: 2 };

describe('intSetting', () => {
  it.for([
    [undefined, 2], [null, 2], ['', 2], [0, 0], [4, 4], ['0', 0], ['4', 4], [' 3 ', 3],
  ] as const)('%j reads as %i', ([raw, want]) => {
    expect(intSetting('BKV_X', raw, BOUNDS)).toBe(want);
  });

  it.for([-1, 5, 1.5, '5', '-1', '1e0', '0x1', '1.0', 'two', ' ', true, [1], {}, Number.NaN])('%j is refused', (raw) => {
    expect(() => intSetting('BKV_X', raw, BOUNDS)).toThrow(BkvError);
    expect(() => intSetting('BKV_X', raw, BOUNDS)).toThrow(/^BKV_X must be an integer from 0 to 4$/);
    try {
      intSetting('BKV_X', raw, BOUNDS);
    } catch (e) {
      expect((e as BkvError).code).toBe('bad-request');
    }
  });

  it('declares the deployment settings\' bounds once', () => {
    expect(MAX_ATTEMPTS).toEqual({ min: 1, max: 255, default: 10 });
    expect(URL_TTL_SECONDS).toEqual({ min: 60, max: 604_800, default: 3600 });
  });
});
