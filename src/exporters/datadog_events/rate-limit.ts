/**
 * A token bucket: up to `perMinute` events at once, refilled continuously at `perMinute` per
 * minute, so a burst is capped and a steady trickle is never refused.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = perMinute;
    this.last = now();
  }

  tryTake(): boolean {
    const now = this.now();
    this.tokens = Math.min(
      this.perMinute,
      this.tokens + ((now - this.last) * this.perMinute) / 60_000,
    );
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
