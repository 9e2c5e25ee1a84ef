import type { Signal } from "../pdata/signal.js";

/**
 * What a network exporter implements: send one batch to its backend, once. It resolves when
 * the backend confirmed the batch and rejects with RetryableError (with `retryAfterMs` from
 * Retry-After or throttling hints) or PermanentError (the data itself was refused). Queueing,
 * retries, timeouts and dead-lettering are the exporterhelper's job, wrapped around it.
 */
export interface Sender<T> {
  send(batch: T, signal: Signal, abort: AbortSignal): Promise<void>;
}
