// The CLI's Ctrl-C state machine (client/cli/interrupt.ts): what each press does in each state. The end-to-end
// behaviour (a real SIGINT at random points of backup, restore and prune) is in interrupt-*.test.ts.

import { afterEach, describe, expect, it } from 'vitest';
import { isClientError } from '../../client/errors.js';
import { begin, decided, end, interruptState, press } from '../../client/cli/interrupt.js';

function exits(): { codes: number[]; exit: (code: number) => void } {
  const codes: number[] = [];
  return { codes, exit: (code) => codes.push(code) };
}

describe('cli interrupt', () => {
  afterEach(() => {
    end();
    process.exitCode = undefined;
  });

  it('idle: a press exits 2 at once, or with the code the run decided when it is only exiting', () => {
    const x = exits();
    expect(interruptState()).toBe('idle');
    press(x.exit);
    expect(x.codes).toEqual([2]);
    process.exitCode = 6;
    press(x.exit);
    expect(x.codes).toEqual([2, 6]);
  });

  it('working: the first press aborts the signal with a cancelled error, the second exits 2', () => {
    const x = exits();
    const signal = begin();
    expect(interruptState()).toBe('working');
    expect(signal.aborted).toBe(false);
    expect(press(x.exit)).toBe('cancelling');
    expect(signal.aborted).toBe(true);
    expect(isClientError(signal.reason) && signal.reason.kind).toBe('cancelled');
    expect(x.codes).toEqual([]);
    press(x.exit);
    expect(x.codes).toEqual([2]);
  });

  it('finishing: once the outcome is decided the signal stays whole; only a second press exits, with the run\'s code', () => {
    const x = exits();
    const signal = begin();
    decided();
    expect(interruptState()).toBe('finishing');
    expect(press(x.exit)).toBe('finishing');
    expect(signal.aborted).toBe(false);
    expect(x.codes).toEqual([]);
    press(x.exit);
    expect(x.codes).toEqual([0]);
  });

  it('a cancelled operation is not decided afterwards, and a new operation starts from working', () => {
    const x = exits();
    const first = begin();
    press(x.exit);
    decided();
    expect(interruptState()).toBe('cancelling');
    const second = begin();
    expect(interruptState()).toBe('working');
    expect(first.aborted).toBe(true);
    expect(second.aborted).toBe(false);
    end();
    expect(interruptState()).toBe('idle');
  });

  it('installs one SIGINT listener however many operations begin', () => {
    begin();
    const n = process.listenerCount('SIGINT');
    expect(n).toBeGreaterThan(0);
    begin();
    begin();
    expect(process.listenerCount('SIGINT')).toBe(n);
  });
});
