/**
 * A token bucket: up to `perMinute` at once, refilled continuously at `perMinute` per minute,
 * so a burst is capped and a steady trickle is never refused. Shared by the exporters that
 * send one request per record worth it (Datadog events, Grafana annotations).
 */
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perMinute: number,
    /** Milliseconds; a monotonic clock unless the caller (a test) passes its own. */
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
