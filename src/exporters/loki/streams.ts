/**
 * The runtime cap on distinct label sets. Labels come from a small configured set, but a
 * label whose source has many values (a category set by a misbehaving source, a cluster per
 * tenant…) would still open stream after stream, and Loki refuses a tenant's pushes with 429
 * once it holds too many (max_global_streams_per_user). Beyond `max`, new label sets are
 * refused here and their records fold into one overflow stream.
 */
export class StreamLimiter {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly max: number,
    /** A label set not seen for this long frees its place (Loki's streams go idle too). */
    private readonly idleMs = 3_600_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.seen.size;
  }

  /** True when `key` may have its own stream. */
  admit(key: string): boolean {
    const now = this.now();
    if (this.seen.has(key)) {
      this.seen.set(key, now);
      return true;
    }
    if (this.seen.size >= this.max) this.evictIdle(now);
    if (this.seen.size >= this.max) return false;
    this.seen.set(key, now);
    return true;
  }

  private evictIdle(now: number): void {
    const cutoff = now - this.idleMs;
    for (const [key, last] of this.seen) if (last < cutoff) this.seen.delete(key);
  }
}
