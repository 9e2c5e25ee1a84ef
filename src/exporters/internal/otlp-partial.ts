import type { Counter } from "@opentelemetry/api";
import type { CreateContext } from "../../component/component.js";
import type { PartialSuccess } from "../../pdata/otlp-proto.js";
import { ITEM_NAME, type Signal } from "../../pdata/signal.js";

/**
 * OTLP partial success: the backend kept the request but refused some items, which must not
 * be resent (the spec forbids it, they would be refused again). They are logged at warn and
 * counted, since the exporterhelper counts the whole request as sent.
 */
export class PartialSuccessReporter {
  private readonly counters = new Map<Signal, Counter>();
  /** Items rejected so far, per signal. */
  readonly rejected: Record<Signal, number> = { logs: 0, metrics: 0 };

  constructor(private readonly ctx: CreateContext) {}

  report(signal: Signal, partial: PartialSuccess | undefined, url: string): void {
    if (!partial || (partial.rejected === 0 && !partial.errorMessage)) return;
    const fields = {
      exporter: this.ctx.id,
      signal,
      endpoint: url,
      rejected: partial.rejected,
      error_message: partial.errorMessage,
    };
    if (partial.rejected === 0) {
      this.ctx.logger.warn(fields, "OTLP backend accepted the request with a warning");
      return;
    }
    this.ctx.logger.warn(fields, `OTLP backend rejected ${partial.rejected} ${ITEM_NAME[signal]}`);
    this.rejected[signal] += partial.rejected;
    let counter = this.counters.get(signal);
    if (!counter) {
      counter = this.ctx.telemetry.meter.createCounter(
        `tripline_exporter_partial_success_rejected_${ITEM_NAME[signal]}`,
        { description: "Items an OTLP backend refused in a partial-success answer (not retried)." },
      );
      this.counters.set(signal, counter);
    }
    counter.add(partial.rejected, { exporter: this.ctx.id });
  }
}
