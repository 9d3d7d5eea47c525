/**
 * Tests hand the router a fixed clock by adding `now` to the context they build; requests never
 * carry one, so they use the wall clock. Faking timers would also freeze the database drivers.
 */
export function nowFrom(ctx: object): Date | undefined {
  const now = (ctx as { now?: unknown }).now;
  return now instanceof Date ? now : undefined;
}
