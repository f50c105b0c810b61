// A clock tests move by hand (login expiry, lock timing).
import type { Clock } from '../../functions/ports.js';

export class ManualClock implements Clock {
  constructor(private t = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
