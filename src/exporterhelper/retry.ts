import { errorMessage, isPermanent, RetryableError } from "../component/errors.js";
import type { Signal } from "../pdata/signal.js";
import { Backoff, sleep } from "./backoff.js";
import type { CircuitBreaker } from "./circuit-breaker.js";
import type { RetryConfig } from "./config.js";

export type FailureReason = "permanent" | "retries_exhausted";

export type Outcome =
  | { kind: "sent" }
  | { kind: "failed"; reason: FailureReason; error: Error }
  /** Shutdown interrupted the delivery; the batch is neither sent nor failed. */
  | { kind: "stopped" };

export interface Interrupts {
  /** Ends waits (backoff, open circuit); the attempt in flight may still finish. */
  halt: AbortSignal;
  /** Aborts the request in flight too. */
  cancel: AbortSignal;
}

/** One attempt at the request: a sender's `send` or `sendPrepared`, bound to what it sends. */
export type Attempt = (abort: AbortSignal) => Promise<void>;

export interface DeliveryOptions {
  timeoutMs: number;
  retry: RetryConfig;
  breaker: CircuitBreaker;
  onRetry: (signal: Signal, error: Error, delayMs: number) => void;
  random?: () => number;
}

/**
 * Sends one batch until the backend confirms it, the error is permanent, or retries run out
 * (the Collector's retry sender): the wait is the backoff, or the backend's Retry-After when it
 * gave one, and the batch is given up once the next attempt would start after
 * max_elapsed_time.
 */
export async function deliver(
  options: DeliveryOptions,
  signal: Signal,
  send: Attempt,
  interrupts: Interrupts,
): Promise<Outcome> {
  const { retry, breaker } = options;
  const started = Date.now();
  const backoff = new Backoff(retry, options.random);
  for (;;) {
    if (!(await breaker.acquire(interrupts.halt))) return { kind: "stopped" };
    let error: Error;
    try {
      await attempt(options, send, interrupts.cancel);
      breaker.success();
      return { kind: "sent" };
    } catch (caught) {
      error = caught instanceof Error ? caught : new Error(String(caught));
    }
    if (interrupts.cancel.aborted) {
      breaker.abandoned();
      return { kind: "stopped" };
    }
    if (isPermanent(error)) {
      breaker.success();
      return { kind: "failed", reason: "permanent", error };
    }
    breaker.failure();
    if (!retry.enabled) return { kind: "failed", reason: "retries_exhausted", error };
    const hint = error instanceof RetryableError ? error.retryAfterMs : undefined;
    const delay = hint ?? backoff.next();
    const elapsed = Date.now() - started;
    if (retry.max_elapsed_time > 0 && elapsed + delay > retry.max_elapsed_time) {
      return {
        kind: "failed",
        reason: "retries_exhausted",
        error: new RetryableError(
          `no more retries left after ${elapsed} ms: ${errorMessage(error)}`,
          undefined,
          { cause: error },
        ),
      };
    }
    options.onRetry(signal, error, delay);
    if (!(await sleep(delay, interrupts.halt))) return { kind: "stopped" };
  }
}

/**
 * One request with its own deadline. The race matters: a sender that ignores its AbortSignal
 * must not hold a consumer forever.
 */
async function attempt(
  options: DeliveryOptions,
  send: Attempt,
  cancel: AbortSignal,
): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new RetryableError(`request timed out after ${options.timeoutMs} ms`));
  }, options.timeoutMs);
  const onCancel = () => controller.abort(new RetryableError("request cancelled by shutdown"));
  if (cancel.aborted) onCancel();
  else cancel.addEventListener("abort", onCancel, { once: true });
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(controller.signal.reason);
    if (controller.signal.aborted) fail();
    else controller.signal.addEventListener("abort", fail, { once: true });
  });
  try {
    await Promise.race([send(controller.signal), aborted]);
  } catch (error) {
    // A timeout may surface as the sender's own AbortError: report our reason instead.
    throw controller.signal.aborted ? controller.signal.reason : error;
  } finally {
    clearTimeout(timer);
    cancel.removeEventListener("abort", onCancel);
  }
}
