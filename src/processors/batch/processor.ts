import type { Consumer, Host, Processor, ProcessorContext } from "../../component/component.js";
import { combineErrors, RetryableError } from "../../component/errors.js";
import type { LogBatch } from "../../pdata/logs.js";
import type { Metric, MetricBatch, MetricData } from "../../pdata/metrics.js";
import { countItems, type Signal } from "../../pdata/signal.js";
import type { ProcessorTelemetry } from "../../telemetry/telemetry.js";
import type { BatchConfig } from "./config.js";

type Batch = LogBatch | MetricBatch;

/** One consume call: its promise settles once every item it handed over has been sent. */
interface Caller {
  unsent: number;
  errors: unknown[];
  resolve(): void;
  reject(error: Error): void;
}

/** What is left in the buffer of one caller's batch. */
interface Piece {
  batch: Batch;
  count: number;
  caller: Caller;
}

/** How many of a caller's items went into one send. */
type Share = [caller: Caller, count: number];

/**
 * Groups batches by size and time like the Collector's batch processor, but never answers a
 * caller before downstream has accepted all of its items (DESIGN.md §1): acknowledging early
 * would lose data the sender believes is safe.
 */
export class BatchProcessor implements Processor<Batch> {
  readonly mutatesData = false;
  private readonly telemetry: ProcessorTelemetry;
  private readonly buffer: Piece[] = [];
  private buffered = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly ctx: ProcessorContext,
    private readonly config: BatchConfig,
    private readonly next: Consumer<unknown>,
  ) {
    this.telemetry = ctx.telemetry.processor(ctx.id, ctx.pipeline, ctx.signal);
  }

  async start(_host: Host): Promise<void> {}

  consume(batch: Batch): Promise<void> {
    if (this.closed) return Promise.reject(new RetryableError(`${this.ctx.id} is shut down`));
    const count = countItems(this.ctx.signal, batch);
    this.telemetry.incoming(count);
    if (count === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.buffer.push({ batch, count, caller: { unsent: count, errors: [], resolve, reject } });
      this.buffered += count;
      // As in the Collector, timeout 0 means no waiting: send at once, split only by max size.
      if (this.config.timeout === 0) this.flush(true);
      else if (this.buffered >= this.config.send_batch_size) this.flush(false);
      else this.timer ??= setTimeout(() => this.flush(true), this.config.timeout).unref();
    });
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    this.flush(true);
    await Promise.allSettled(this.inFlight);
  }

  /** Sends full batches, or everything buffered when `all` (timeout or shutdown). */
  private flush(all: boolean): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const max = this.config.send_batch_max_size || Number.POSITIVE_INFINITY;
    while (this.buffered > 0 && (all || this.buffered >= this.config.send_batch_size)) {
      const sending = this.send(Math.min(max, this.buffered));
      this.inFlight.add(sending);
      void sending.finally(() => this.inFlight.delete(sending));
    }
    // A send restarts the clock for what is left, as in the Collector.
    if (this.buffered > 0) {
      this.timer = setTimeout(() => this.flush(true), this.config.timeout).unref();
    }
  }

  /** Sends the first `count` buffered items, then settles the callers they came from. */
  private async send(count: number): Promise<void> {
    const chunks: Batch[] = [];
    const shares: Share[] = [];
    for (let want = count; want > 0; ) {
      const piece = this.buffer[0]!;
      const n = Math.min(want, piece.count);
      if (n === piece.count) {
        this.buffer.shift();
        chunks.push(piece.batch);
      } else {
        const [head, tail] = split(this.ctx.signal, piece.batch, n);
        chunks.push(head);
        piece.batch = tail;
        piece.count -= n;
      }
      shares.push([piece.caller, n]);
      this.buffered -= n;
      want -= n;
    }

    this.telemetry.outgoing(count);
    let failure: { error: unknown } | undefined;
    try {
      await this.next.consume(chunks.flat());
    } catch (error) {
      failure = { error };
    }
    for (const [caller, n] of shares) {
      if (failure) caller.errors.push(failure.error);
      caller.unsent -= n;
      if (caller.unsent > 0) continue;
      if (caller.errors.length > 0) caller.reject(combineErrors(caller.errors));
      else caller.resolve();
    }
  }
}

/** Splits off the first `n` items; a metric whose points straddle the cut is cut in two. */
function split(signal: Signal, batch: Batch, n: number): [Batch, Batch] {
  if (signal === "logs") return [batch.slice(0, n) as LogBatch, batch.slice(n) as LogBatch];
  const metrics = batch as MetricBatch;
  const head: Metric[] = [];
  let i = 0;
  for (; i < metrics.length; i++) {
    const points = metrics[i]!.data.points.length;
    if (points > n) break;
    head.push(metrics[i]!);
    n -= points;
  }
  const tail = metrics.slice(i);
  if (n > 0) {
    const metric = tail[0]!;
    head.push(withPoints(metric, 0, n));
    tail[0] = withPoints(metric, n);
  }
  return [head, tail];
}

/** A shallow copy of `metric` holding a slice of its points; the input is left untouched. */
function withPoints(metric: Metric, start: number, end?: number): Metric {
  const data = { ...metric.data, points: metric.data.points.slice(start, end) } as MetricData;
  return { ...metric, data };
}
