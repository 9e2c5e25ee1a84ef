import type { Counter, Meter } from "@opentelemetry/api";
import type { Logger } from "pino";
import type { Consumer, ProcessorContext } from "../../component/component.js";
import { errorMessage, isRetryable } from "../../component/errors.js";
import type { LogRecord } from "../../pdata/logs.js";
import type { ProcessorTelemetry } from "../../telemetry/telemetry.js";

/**
 * Sends the records a processor makes on its own (dedup and throttle summaries). Their inputs
 * were acknowledged long ago, so there is no caller to hand an error back to: a retryable
 * failure is kept and sent again with the next batch of summaries, a permanent one (or any
 * failure during shutdown) is logged and counted. What is kept is bounded.
 */
export class SummaryEmitter {
  private retry: LogRecord[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly failed: Counter;

  constructor(
    private readonly id: string,
    private readonly next: Consumer<unknown>,
    private readonly logger: Logger,
    private readonly telemetry: ProcessorTelemetry,
    meter: Meter,
    private readonly maxRetained: number,
  ) {
    this.failed = meter.createCounter("tripline_processor_summary_send_failed_log_records", {
      description: "Summary records (dedup, throttle) that could not be sent and were dropped.",
    });
  }

  /** Records kept for another attempt. */
  get retained(): number {
    return this.retry.length;
  }

  /** Sends `records` plus any kept from failed attempts; `final` means no later attempt. */
  send(records: LogRecord[], final = false): void {
    const batch = this.retry.length > 0 ? [...this.retry, ...records] : records;
    this.retry = [];
    if (batch.length === 0) return;
    this.telemetry.outgoing(batch.length);
    const sending = this.next.consume(batch).catch((error: unknown) => {
      if (!final && isRetryable(error)) this.keep(batch, error);
      else this.drop(batch.length, error);
    });
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }

  /** Waits for every send in flight, then makes a last attempt with whatever was kept. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    this.send([], true);
    await Promise.allSettled([...this.inFlight]);
  }

  private keep(batch: LogRecord[], error: unknown): void {
    this.retry.unshift(...batch);
    const over = this.retry.length - this.maxRetained;
    if (over > 0) {
      this.retry.splice(0, over);
      this.drop(over, error);
    }
    this.logger.warn(
      { processor: this.id, records: batch.length, error: errorMessage(error) },
      "summary records not accepted downstream; retrying with the next summaries",
    );
  }

  private drop(count: number, error: unknown): void {
    this.failed.add(count, { processor: this.id });
    this.logger.error(
      { processor: this.id, records: count, error: errorMessage(error) },
      "summary records dropped",
    );
  }
}

/** The emitter of a keyed processor, keeping at most one summary per key for a retry. */
export function summaryEmitterFor(
  ctx: ProcessorContext,
  next: Consumer<unknown>,
  telemetry: ProcessorTelemetry,
  maxKeys: number,
): SummaryEmitter {
  return new SummaryEmitter(ctx.id, next, ctx.logger, telemetry, ctx.telemetry.meter, maxKeys);
}
