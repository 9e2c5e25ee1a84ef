import type { Signal } from "../pdata/signal.js";

/**
 * What a network exporter implements: send one batch to its backend, once. It resolves when
 * the backend confirmed the batch and rejects with RetryableError (with `retryAfterMs` from
 * Retry-After or throttling hints) or PermanentError (the data itself was refused). Queueing,
 * retries, timeouts and dead-lettering are the exporterhelper's job, wrapped around it.
 *
 * A sender whose request does not depend on when it is sent may also implement `prepare` and
 * `sendPrepared` (both or neither), and `recycle`. A memory queue without a dead letter then
 * turns each batch into its request as it is queued and holds only that: a batch of records
 * waiting in the queue outlives two young-generation collections and is copied into old space,
 * where it dies and waits for a full collection, while the records of a prepared batch die
 * young. Bytes held in a Buffer are not copied, but their Buffer object is promoted all the
 * same and their memory is freed only by a full collection: measured, preparing alone moved the
 * garbage rather than removing it, so the memory must be reused (`recycle`, BodyPool). Retries
 * resend the same request. `send(batch)` stays the path without a queue, with a dead letter
 * (which writes the records) and for the persistent queue (which stores batches of its own).
 */
export interface Sender<T, R = unknown> {
  send(batch: T, signal: Signal, abort: AbortSignal): Promise<void>;
  /**
   * The request for `batch`; it must not keep a reference to the batch. A throw is not a
   * refusal: the batch is then queued as it is and `send` meets the same error.
   */
  prepare?(batch: T, signal: Signal): R;
  /** Sends what `prepare` returned, with the same answers as `send`. */
  sendPrepared?(request: R, signal: Signal, abort: AbortSignal): Promise<void>;
  /**
   * Called once the exporter is done with a prepared request (sent, failed, dropped or given
   * up at shutdown), after every attempt at it has ended: its memory may be reused.
   */
  recycle?(request: R): void;
}
