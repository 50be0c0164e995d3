import { Clock } from '../clock';

/** A clock that only moves when the test says so. */
export class FakeClock implements Clock {
  constructor(private current = Date.UTC(2026, 10, 26, 9, 0, 0)) {}

  now(): number {
    return this.current;
  }

  advance(milliseconds: number): void {
    this.current += milliseconds;
  }
}
