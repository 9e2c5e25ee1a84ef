import type { Consumer, Host, Processor, ProcessorContext } from "../../component/component.js";
import { RetryableError } from "../../component/errors.js";
import { cloneLogRecord, type LogBatch, type LogRecord } from "../../pdata/logs.js";
import type { ProcessorTelemetry } from "../../telemetry/telemetry.js";
import { forwardOrUndo, overLimit, touch } from "../internal/keyed-state.js";
import { recordKey } from "../internal/record-key.js";
import { type SummaryEmitter, summaryEmitterFor } from "../internal/summary-emitter.js";
import { seenAt } from "../internal/timestamp.js";
import type { DedupConfig } from "./config.js";
import { dedupSummary } from "./summary.js";

/** One key's open window. */
interface Window {
  key: string;
  /** A private copy: the forwarded original may be changed by later processors. */
  first: LogRecord;
  /** Records accepted in this window, the forwarded one included. */
  count: number;
  firstSeen: bigint;
  lastSeen: bigint;
  /** Whether a record of this window has reached downstream; a failed send clears it. */
  forwarded: boolean;
  closesAt: number;
  open: boolean;
}

/** What one consume call changed in a window, so a refused send can be undone. */
interface Change {
  forwardedHere: boolean;
  folded: number;
}

/**
 * Lets the first record of a key through at once and folds repeats within `interval` into a
 * count; when the window closes with repeats, one summary record carries the tally.
 */
export class DedupProcessor implements Processor<LogBatch> {
  readonly mutatesData = false;
  private readonly telemetry: ProcessorTelemetry;
  private readonly emitter: SummaryEmitter;
  /** Open windows in least-recently-seen order (a Map keeps insertion order). */
  private readonly windows = new Map<string, Window>();
  /** Open windows in closing order; closed ones are skipped lazily. */
  private queue: Window[] = [];
  private head = 0;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly ctx: ProcessorContext,
    private readonly config: DedupConfig,
    private readonly next: Consumer<unknown>,
    private readonly clock: () => number = Date.now,
  ) {
    this.telemetry = ctx.telemetry.processor(ctx.id, ctx.pipeline, ctx.signal);
    this.emitter = summaryEmitterFor(ctx, next, this.telemetry, config.max_keys);
    // One sweep for all keys; a window closes at most one tick late.
    const tick = Math.max(10, Math.min(1000, config.interval / 10));
    this.timer = setInterval(() => this.sweep(), tick).unref();
  }

  /** Keys with an open window (for tests and debugging). */
  get size(): number {
    return this.windows.size;
  }

  /** Entries in the closing-order queue, closed ones included until compacted. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  async start(_host: Host): Promise<void> {}

  async consume(batch: LogBatch): Promise<void> {
    if (this.closed) throw new RetryableError(`${this.ctx.id} is shut down`);
    this.telemetry.incoming(batch.length);
    const now = this.clock();
    const forward: LogRecord[] = [];
    const changes = new Map<Window, Change>();
    const summaries: LogRecord[] = [];
    for (const record of batch) {
      const key = recordKey(record, this.config.keys);
      if (key === undefined) {
        forward.push(record);
        continue;
      }
      let window = this.windows.get(key);
      if (window && window.closesAt <= now) {
        this.close(window, summaries);
        window = undefined;
      }
      if (!window) {
        window = this.open(key, record, now, summaries);
        changes.set(window, { forwardedHere: true, folded: 0 });
        forward.push(record);
        continue;
      }
      const change = changes.get(window) ?? { forwardedHere: false, folded: 0 };
      changes.set(window, change);
      window.count++;
      window.lastSeen = maxBig(window.lastSeen, seenAt(record));
      touch(this.windows, key, window);
      if (window.forwarded) {
        change.folded++;
      } else {
        // The record that opened the window was refused downstream: this one goes instead.
        window.forwarded = true;
        change.forwardedHere = true;
        forward.push(record);
      }
    }
    this.emitter.send(summaries);
    this.telemetry.outgoing(forward.length);
    await forwardOrUndo(this.next, forward, () => this.undo(changes));
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    const summaries: LogRecord[] = [];
    for (const window of this.windows.values()) this.close(window, summaries);
    this.queue = [];
    this.head = 0;
    this.emitter.send(summaries);
    await this.emitter.flush();
  }

  /** Closes every window whose interval has passed and sends their summaries. */
  sweep(): void {
    const now = this.clock();
    const summaries: LogRecord[] = [];
    while (this.head < this.queue.length) {
      const window = this.queue[this.head]!;
      if (window.open && window.closesAt > now) break;
      this.head++;
      if (window.open) this.close(window, summaries);
    }
    this.compact();
    this.emitter.send(summaries);
  }

  private open(key: string, record: LogRecord, now: number, summaries: LogRecord[]): Window {
    const at = seenAt(record);
    const window: Window = {
      key,
      first: cloneLogRecord(record),
      count: 1,
      firstSeen: at,
      lastSeen: at,
      forwarded: true,
      closesAt: now + this.config.interval,
      open: true,
    };
    this.windows.set(key, window);
    this.queue.push(window);
    this.compact();
    const oldest = overLimit(this.windows, this.config.max_keys);
    if (oldest) this.close(oldest, summaries);
    return window;
  }

  private close(window: Window, summaries: LogRecord[]): void {
    window.open = false;
    if (this.windows.get(window.key) === window) this.windows.delete(window.key);
    // Repeats were acknowledged; so was a window whose forwarded record was refused but
    // that later took in others. Either way the summary is what delivers them.
    if (window.count > 1 || (!window.forwarded && window.count > 0)) {
      summaries.push(dedupSummary(window.first, window.count, window.firstSeen, window.lastSeen));
    }
  }

  /** Downstream refused the batch: the caller will resend it, so its records are not counted. */
  private undo(changes: Map<Window, Change>): void {
    for (const [window, change] of changes) {
      if (!window.open) continue;
      window.count -= change.folded + (change.forwardedHere ? 1 : 0);
      if (change.forwardedHere) window.forwarded = false;
      if (window.count <= 0) {
        window.open = false;
        if (this.windows.get(window.key) === window) this.windows.delete(window.key);
      }
    }
  }

  /** Drops closed windows from the queue so it stays proportional to max_keys. */
  private compact(): void {
    const length = this.queue.length - this.head;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (length > 2 * this.config.max_keys) {
      this.queue = this.queue.slice(this.head).filter((w) => w.open);
      this.head = 0;
    }
  }
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
