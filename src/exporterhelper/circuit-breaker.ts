import type { Logger } from "pino";
import { sleep } from "./backoff.js";
import type { CircuitBreakerConfig } from "./config.js";

export type CircuitState = "closed" | "open" | "half_open";

/**
 * Stops calling a backend after `failure_threshold` consecutive failures. After `cool_down`
 * one request goes through as a probe (half-open): success closes the circuit, failure opens
 * it for another cool-down. Batches wait in the queue meanwhile instead of burning their
 * retries and the backend's recovery time.
 */
export class CircuitBreaker {
  private state: CircuitState = "closed";
  private failures = 0;
  private openUntil = 0;
  private changed: (() => void)[] = [];

  constructor(
    private readonly config: CircuitBreakerConfig,
    private readonly logger: Logger,
  ) {}

  get current(): CircuitState {
    return this.state;
  }

  /** Milliseconds left in the cool-down, 0 unless open. */
  remainingMs(): number {
    return this.state === "open" ? Math.max(0, this.openUntil - Date.now()) : 0;
  }

  /** Resolves true when a request may go out, false if `halt` aborted the wait. */
  async acquire(halt: AbortSignal): Promise<boolean> {
    if (!this.config.enabled) return !halt.aborted;
    for (;;) {
      if (halt.aborted) return false;
      if (this.state === "closed") return true;
      if (this.state === "open") {
        const wait = this.openUntil - Date.now();
        if (wait <= 0) {
          this.state = "half_open";
          this.logger.info("circuit half-open: sending one probe request");
          return true;
        }
        if (!(await sleep(wait, halt))) return false;
        continue;
      }
      // Half-open with the probe in flight: wait for its verdict.
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        halt.addEventListener("abort", onAbort, { once: true });
        this.changed.push(() => {
          halt.removeEventListener("abort", onAbort);
          resolve();
        });
      });
    }
  }

  /** The backend answered (even with a permanent refusal): it is up. */
  success(): void {
    this.failures = 0;
    if (this.state !== "closed") {
      this.state = "closed";
      this.logger.info("circuit closed: backend is answering again");
      this.notify();
    }
  }

  failure(): void {
    if (!this.config.enabled) return;
    this.failures++;
    if (this.state === "half_open" || this.failures >= this.config.failure_threshold) {
      const wasOpen = this.state !== "closed";
      this.state = "open";
      this.openUntil = Date.now() + this.config.cool_down;
      if (!wasOpen) {
        this.logger.warn(
          { consecutive_failures: this.failures, cool_down_ms: this.config.cool_down },
          "circuit open: pausing requests to the backend",
        );
      }
      this.notify();
    }
  }

  /** A request ended without a verdict (shutdown aborted it): let the next caller probe. */
  abandoned(): void {
    if (this.state === "half_open") {
      this.state = "open";
      this.openUntil = Date.now();
      this.notify();
    }
  }

  private notify(): void {
    const waiters = this.changed;
    this.changed = [];
    for (const wake of waiters) wake();
  }
}
