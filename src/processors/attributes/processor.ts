import type { Consumer, Host, Processor, ProcessorContext } from "../../component/component.js";
import { RetryableError } from "../../component/errors.js";
import type { LogBatch } from "../../pdata/logs.js";
import type { MetricBatch } from "../../pdata/metrics.js";
import { countItems } from "../../pdata/signal.js";
import type { ProcessorTelemetry } from "../../telemetry/telemetry.js";
import { type Action, compileActions } from "./actions.js";
import type { AttributesConfig } from "./config.js";

/** Runs the configured actions on every log record's, or metric data point's, attributes. */
export class AttributesProcessor implements Processor<LogBatch | MetricBatch> {
  readonly mutatesData = true;
  private readonly apply: Action;
  private readonly telemetry: ProcessorTelemetry;
  private closed = false;

  constructor(
    private readonly ctx: ProcessorContext,
    config: AttributesConfig,
    private readonly next: Consumer<unknown>,
  ) {
    this.apply = compileActions(config.actions);
    this.telemetry = ctx.telemetry.processor(ctx.id, ctx.pipeline, ctx.signal);
  }

  async start(_host: Host): Promise<void> {}

  consume(batch: LogBatch | MetricBatch): Promise<void> {
    if (this.closed) return Promise.reject(new RetryableError(`${this.ctx.id} is shut down`));
    const count = countItems(this.ctx.signal, batch);
    this.telemetry.incoming(count);
    if (this.ctx.signal === "logs") {
      for (const record of batch as LogBatch) this.apply(record.attributes);
    } else {
      for (const metric of batch as MetricBatch) {
        for (const point of metric.data.points) this.apply(point.attributes);
      }
    }
    this.telemetry.outgoing(count);
    return this.next.consume(batch);
  }

  async shutdown(): Promise<void> {
    this.closed = true;
  }
}
