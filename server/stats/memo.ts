/**
 * Values kept, least recently used out, within a byte budget estimated from each value (see
 * kept-engine.ts: figures of finished days, which never change until the site's stats version
 * moves).
 */
export class Memo<T> {
  private readonly entries = new Map<string, { value: Promise<T>; size: number }>();
  private used = 0;

  constructor(
    private readonly budget: number,
    private readonly sizeOf: (value: T) => number,
  ) {}

  /** Concurrent callers of one key share one computation; a failed one is not kept. */
  get(key: string, compute: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    const value = compute();
    const entry = { value, size: 0 };
    this.entries.set(key, entry);
    value.then(
      (result) => {
        if (this.entries.get(key) !== entry) return;
        entry.size = this.sizeOf(result);
        this.used += entry.size;
        if (entry.size > this.budget / 8) this.forget(key);
        for (const [oldest] of this.entries) {
          if (this.used <= this.budget) break;
          this.forget(oldest);
        }
      },
      () => this.forget(key),
    );
    return value;
  }

  private forget(key: string) {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.used -= entry.size;
  }
}
