import type { RetryConfig } from "./config.js";

/**
 * Exponential backoff with jitter, as the Collector's retry sender computes it: each wait is
 * drawn uniformly from interval × [1 − factor, 1 + factor], then the interval grows by the
 * multiplier up to max_interval. Jitter spreads the retries of many batches so a backend
 * that comes back is not hit by all of them at once.
 */
export class Backoff {
  private interval: number;

  constructor(
    private readonly config: RetryConfig,
    private readonly random: () => number = Math.random,
  ) {
    this.interval = config.initial_interval;
  }

  next(): number {
    const factor = this.config.randomization_factor;
    const delta = factor * this.interval;
    const low = this.interval - delta;
    const wait = low + this.random() * (2 * delta);
    this.interval = Math.min(this.interval * this.config.multiplier, this.config.max_interval);
    return Math.round(wait);
  }
}

/** Waits `ms`; resolves false at once if `halt` aborts first. */
export function sleep(ms: number, halt: AbortSignal): Promise<boolean> {
  if (halt.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (completed: boolean) => {
      clearTimeout(timer);
      halt.removeEventListener("abort", onAbort);
      resolve(completed);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    halt.addEventListener("abort", onAbort, { once: true });
  });
}
