import { PermanentError, RetryableError } from "../component/errors.js";
import type { LogBatch } from "../pdata/logs.js";
import type { MetricBatch } from "../pdata/metrics.js";
import { countItems, type Signal } from "../pdata/signal.js";
import type { QueueConfig } from "./config.js";

export type Batch = LogBatch | MetricBatch;

export interface QueueEntry {
  signal: Signal;
  /**
   * The records; undefined once `request` holds them as the sender's request (a memory queue
   * without a dead letter, for a sender that can prepare). Exactly one of the two is set.
   */
  batch: Batch | undefined;
  /** What the sender's `prepare` made of the batch. */
  request?: unknown;
  items: number;
  /** What the entry counts against queue_size (1, or its items). */
  size: number;
  /** Bytes on disk; 0 for the memory queue. */
  bytes: number;
  /** Sequence number in the persistent store. */
  seq?: number;
  /** The encoded batch, between measuring and writing it. */
  payload?: Buffer;
}

export interface QueueHooks {
  /** Makes the entry durable before it is queued (the persistent queue). */
  persist?: (entry: QueueEntry) => Promise<void>;
  /** Bytes the entry would take on disk, checked against max_bytes before it is written. */
  measure?: (entry: QueueEntry) => number;
  /** An entry when_full: drop_oldest pushed out. */
  dropped: (entry: QueueEntry) => void;
  /** Extra detail for a "full" refusal, e.g. the circuit breaker's remaining cool-down. */
  retryAfterMs?: () => number | undefined;
}

interface Blocked {
  entry: QueueEntry;
  /** Called with the room already reserved. */
  admit(): void;
  refuse(error: Error): void;
}

/**
 * The bounded queue between `consume` and the consumers that send. Capacity counts every
 * entry until it is released (queued and in flight), so memory and disk stay bounded while a
 * backend is down.
 */
export class SendingQueue {
  private pending: QueueEntry[] = [];
  private used = 0;
  private usedBytes = 0;
  private takers: ((entry: QueueEntry | undefined) => void)[] = [];
  private blocked: Blocked[] = [];
  private accepting = true;
  private taking = true;

  constructor(
    private readonly id: string,
    private readonly config: QueueConfig,
    private readonly hooks: QueueHooks,
  ) {}

  get size(): number {
    return this.used;
  }

  get capacity(): number {
    return this.config.queue_size;
  }

  /** Batches waiting for a consumer. */
  get queued(): readonly QueueEntry[] {
    return this.pending;
  }

  entry(signal: Signal, batch: Batch): QueueEntry {
    const items = countItems(signal, batch);
    const size = this.config.sizer === "items" ? items : 1;
    return { signal, batch, items, size, bytes: 0 };
  }

  /** Puts back what a previous run left, ahead of anything new; may exceed the capacity. */
  restore(entries: QueueEntry[]): void {
    for (const entry of entries) this.reserve(entry);
    this.pending.unshift(...entries);
    this.wakeTakers();
  }

  /** Resolves once the entry is queued (and, for the persistent queue, written). */
  async offer(entry: QueueEntry): Promise<void> {
    if (!this.accepting) throw new RetryableError(`exporter "${this.id}" is shutting down`);
    if (entry.size > this.capacity) {
      throw new PermanentError(
        `batch of ${entry.items} items exceeds the sending queue of "${this.id}" ` +
          `(queue_size ${this.capacity} ${this.config.sizer})`,
      );
    }
    entry.bytes = this.hooks.measure?.(entry) ?? 0;
    if (this.config.max_bytes > 0 && entry.bytes > this.config.max_bytes) {
      throw new PermanentError(
        `batch of ${entry.bytes} bytes exceeds max_bytes ${this.config.max_bytes} of "${this.id}"`,
      );
    }
    if (this.fits(entry) && this.blocked.length === 0) this.reserve(entry);
    else await this.makeRoom(entry);
    if (this.hooks.persist) {
      try {
        await this.hooks.persist(entry);
      } catch (error) {
        this.release(entry);
        throw new RetryableError(
          `could not write to the persistent queue of "${this.id}": ${String(error)}`,
          undefined,
          { cause: error },
        );
      }
    }
    const taker = this.takers.shift();
    if (taker) taker(entry);
    else this.pending.push(entry);
  }

  /** The next entry for a consumer; undefined once the queue stops handing them out. */
  take(): Promise<QueueEntry | undefined> {
    if (!this.taking) return Promise.resolve(undefined);
    const entry = this.pending.shift();
    if (entry) return Promise.resolve(entry);
    if (!this.accepting) return Promise.resolve(undefined);
    return new Promise((resolve) => this.takers.push(resolve));
  }

  /** Frees the entry's room (sent, failed for good, dropped, or given up at shutdown). */
  release(entry: QueueEntry): void {
    this.used -= entry.size;
    this.usedBytes -= entry.bytes;
    // First come, first served: a small batch does not overtake a large one waiting for room.
    while (this.blocked[0] && this.fits(this.blocked[0].entry)) {
      const waiter = this.blocked.shift()!;
      this.reserve(waiter.entry);
      waiter.admit();
    }
  }

  /** No more offers; consumers empty what is queued, then get undefined. */
  close(): void {
    this.accepting = false;
    for (const b of this.blocked.splice(0)) {
      b.refuse(new RetryableError(`exporter "${this.id}" is shutting down`));
    }
    this.wakeTakers();
  }

  /** Consumers get nothing more; what is queued stays where it is. */
  stopTaking(): void {
    this.taking = false;
    this.accepting = false;
    this.wakeTakers();
  }

  private wakeTakers(): void {
    while (this.takers.length > 0) {
      if (this.taking && this.pending.length > 0) this.takers.shift()!(this.pending.shift());
      else if (!this.accepting || !this.taking) this.takers.shift()!(undefined);
      else break;
    }
  }

  private fits(entry: QueueEntry): boolean {
    const maxBytes = this.config.max_bytes;
    return (
      this.used + entry.size <= this.capacity &&
      (maxBytes === 0 || this.usedBytes + entry.bytes <= maxBytes)
    );
  }

  private reserve(entry: QueueEntry): void {
    this.used += entry.size;
    this.usedBytes += entry.bytes;
  }

  private async makeRoom(entry: QueueEntry): Promise<void> {
    if (this.config.when_full === "drop_oldest") {
      while (!this.fits(entry) && this.pending.length > 0) {
        const oldest = this.pending.shift()!;
        this.release(oldest);
        this.hooks.dropped(oldest);
      }
      if (this.fits(entry)) {
        this.reserve(entry);
        return;
      }
    } else if (this.config.when_full === "block") {
      await this.waitForRoom(entry);
      return;
    }
    throw this.full();
  }

  private waitForRoom(entry: QueueEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter: Blocked = {
        entry,
        admit: () => {
          clearTimeout(timer);
          resolve();
        },
        refuse: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.blocked.splice(this.blocked.indexOf(waiter), 1);
        reject(this.full(`no room within block_timeout ${this.config.block_timeout} ms`));
      }, this.config.block_timeout);
      this.blocked.push(waiter);
    });
  }

  private full(detail?: string): RetryableError {
    const state = `${this.used}/${this.capacity} ${this.config.sizer}`;
    return new RetryableError(
      `sending queue of "${this.id}" is full (${state})${detail ? `: ${detail}` : ""}`,
      this.hooks.retryAfterMs?.(),
    );
  }
}
