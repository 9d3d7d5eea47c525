/**
 * The time everything a request decides is decided at (expiry, periods, limits, stamps). A
 * fixed clock does not move: memories that expire by time keep nothing under it, so a caller
 * with one (tests, a digest sent for a given moment) always sees what the tables hold.
 */
export interface Clock {
  now(): Date;
  readonly fixed: boolean;
}

export const wallClock: Clock = { now: () => new Date(), fixed: false };

export function fixedClock(at: Date): Clock {
  return { now: () => at, fixed: true };
}
