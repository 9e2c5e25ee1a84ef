import type { Counter } from "@opentelemetry/api";
import type { Consumer, Host, Processor, ProcessorContext } from "../../component/component.js";
import { RetryableError } from "../../component/errors.js";
import { cloneLogRecord, type LogBatch, type LogRecord } from "../../pdata/logs.js";
import type { ProcessorTelemetry } from "../../telemetry/telemetry.js";
import { forwardOrUndo, overLimit, tallyRecord, touch } from "../internal/keyed-state.js";
import { recordKey } from "../internal/record-key.js";
import { type SummaryEmitter, summaryEmitterFor } from "../internal/summary-emitter.js";
import { seenAt } from "../internal/timestamp.js";
import type { ThrottleConfig } from "./config.js";

export const DROPPED_ATTRIBUTE = "detection.throttle.dropped";
export const FIRST_DROPPED_ATTRIBUTE = "detection.throttle.first_dropped";
export const LAST_DROPPED_ATTRIBUTE = "detection.throttle.last_dropped";

const THROTTLE_TALLY = {
  count: DROPPED_ATTRIBUTE,
  first: FIRST_DROPPED_ATTRIBUTE,
  last: LAST_DROPPED_ATTRIBUTE,
};

/** A key's token bucket, and what it dropped since the last summary. */
interface Bucket {
  key: string;
  tokens: number;
  /** Clock reading (ms) of the last refill. */
  refilled: number;
  dropped: number;
  /** A copy of the first record dropped since the last summary, the summary's template. */
  sample?: LogRecord;
  firstDropped: bigint;
  lastDropped: bigint;
}

/** What one consume call did to a bucket, so a refused send can be undone. */
interface Change {
  passed: number;
  dropped: number;
}

/**
 * A token bucket per key: `rate` records per second with room for `burst` at once. Records
 * over the limit are dropped (and counted); a periodic summary per key says how many.
 */
export class ThrottleProcessor implements Processor<LogBatch> {
  readonly mutatesData = false;
  private readonly telemetry: ProcessorTelemetry;
  private readonly emitter: SummaryEmitter;
  private readonly throttled: Counter;
  /** Buckets in least-recently-seen order (a Map keeps insertion order). */
  private readonly buckets = new Map<string, Bucket>();
  /** Buckets with drops not yet summarised. */
  private readonly pending = new Set<Bucket>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly ctx: ProcessorContext,
    private readonly config: ThrottleConfig,
    private readonly next: Consumer<unknown>,
    /** Milliseconds from a monotonic clock. */
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.telemetry = ctx.telemetry.processor(ctx.id, ctx.pipeline, ctx.signal);
    this.emitter = summaryEmitterFor(ctx, next, this.telemetry, config.max_keys);
    this.throttled = ctx.telemetry.meter.createCounter("tripline_processor_throttled_log_records", {
      description: "Log records dropped by a throttle processor because a key was over its rate.",
    });
    this.timer = setInterval(() => this.tick(), config.summary_interval).unref();
  }

  /** Keys tracked (for tests and debugging). */
  get size(): number {
    return this.buckets.size;
  }

  async start(_host: Host): Promise<void> {}

  async consume(batch: LogBatch): Promise<void> {
    if (this.closed) throw new RetryableError(`${this.ctx.id} is shut down`);
    this.telemetry.incoming(batch.length);
    const now = this.clock();
    const forward: LogRecord[] = [];
    const changes = new Map<Bucket, Change>();
    const evicted: LogRecord[] = [];
    for (const record of batch) {
      const key = recordKey(record, this.config.keys);
      if (key === undefined) {
        forward.push(record);
        continue;
      }
      const bucket = this.bucket(key, now, evicted);
      const change = changes.get(bucket) ?? { passed: 0, dropped: 0 };
      changes.set(bucket, change);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        change.passed++;
        forward.push(record);
      } else {
        change.dropped++;
        this.drop(bucket, record);
      }
    }
    const dropped = batch.length - forward.length;
    if (dropped > 0) this.throttled.add(dropped, { processor: this.ctx.id });
    this.emitter.send(evicted);
    this.telemetry.outgoing(forward.length);
    await forwardOrUndo(this.next, forward, () => this.undo(changes));
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.tick();
    await this.emitter.flush();
  }

  /** Sends one summary per key that dropped records since the last tick; forgets idle keys. */
  tick(): void {
    const summaries: LogRecord[] = [];
    for (const bucket of this.pending) this.summarise(bucket, summaries);
    this.emitter.send(summaries);
    // A bucket that has refilled completely behaves like a new one: no need to keep it.
    const now = this.clock();
    for (const [key, bucket] of this.buckets) {
      if (bucket.dropped === 0 && this.refill(bucket, now) >= this.config.burst) {
        this.buckets.delete(key);
      }
    }
  }

  private bucket(key: string, now: number, evicted: LogRecord[]): Bucket {
    let bucket = this.buckets.get(key);
    if (bucket) {
      touch(this.buckets, key, bucket);
      bucket.tokens = this.refill(bucket, now);
      bucket.refilled = now;
      return bucket;
    }
    bucket = {
      key,
      tokens: this.config.burst,
      refilled: now,
      dropped: 0,
      firstDropped: 0n,
      lastDropped: 0n,
    };
    this.buckets.set(key, bucket);
    const oldest = overLimit(this.buckets, this.config.max_keys);
    if (oldest) {
      this.buckets.delete(oldest.key);
      this.summarise(oldest, evicted);
    }
    return bucket;
  }

  private refill(bucket: Bucket, now: number): number {
    const elapsed = Math.max(0, now - bucket.refilled) / 1000;
    return Math.min(this.config.burst, bucket.tokens + elapsed * this.config.rate);
  }

  private drop(bucket: Bucket, record: LogRecord): void {
    const at = seenAt(record);
    if (bucket.dropped === 0) {
      bucket.firstDropped = at;
      bucket.lastDropped = at;
      if (this.config.summary) bucket.sample = cloneLogRecord(record);
    }
    bucket.dropped++;
    if (at > bucket.lastDropped) bucket.lastDropped = at;
    if (this.config.summary) this.pending.add(bucket);
  }

  private summarise(bucket: Bucket, out: LogRecord[]): void {
    this.pending.delete(bucket);
    if (bucket.dropped > 0 && bucket.sample) {
      out.push(
        tallyRecord(
          bucket.sample,
          THROTTLE_TALLY,
          bucket.dropped,
          bucket.firstDropped,
          bucket.lastDropped,
        ),
      );
    }
    bucket.dropped = 0;
    bucket.sample = undefined;
  }

  /** Downstream refused the batch: the caller resends it, so give back what it used. */
  private undo(changes: Map<Bucket, Change>): void {
    for (const [bucket, change] of changes) {
      bucket.tokens = Math.min(this.config.burst, bucket.tokens + change.passed);
      bucket.dropped = Math.max(0, bucket.dropped - change.dropped);
      if (bucket.dropped === 0) {
        bucket.sample = undefined;
        this.pending.delete(bucket);
      }
    }
  }
}
