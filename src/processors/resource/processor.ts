import type { Consumer, Host, Processor, ProcessorContext } from "../../component/component.js";
import { RetryableError } from "../../component/errors.js";
import type { LogBatch } from "../../pdata/logs.js";
import type { MetricBatch } from "../../pdata/metrics.js";
import { countItems } from "../../pdata/signal.js";
import type { ProcessorTelemetry } from "../../telemetry/telemetry.js";
import { compileActions } from "../attributes/actions.js";
import { ResourceRewriter } from "../internal/resource-rewrite.js";
import type { ResourceConfig } from "./config.js";

/** Runs the configured actions on resource attributes, copy-on-write (see ResourceRewriter). */
export class ResourceProcessor implements Processor<LogBatch | MetricBatch> {
  // Records are given a new resource reference, so a fan-out must hand over its own copy.
  readonly mutatesData = true;
  private readonly rewriter: ResourceRewriter;
  private readonly telemetry: ProcessorTelemetry;
  private closed = false;

  constructor(
    private readonly ctx: ProcessorContext,
    config: ResourceConfig,
    private readonly next: Consumer<unknown>,
  ) {
    this.rewriter = new ResourceRewriter(compileActions(config.attributes));
    this.telemetry = ctx.telemetry.processor(ctx.id, ctx.pipeline, ctx.signal);
  }

  async start(_host: Host): Promise<void> {}

  consume(batch: LogBatch | MetricBatch): Promise<void> {
    if (this.closed) return Promise.reject(new RetryableError(`${this.ctx.id} is shut down`));
    const count = countItems(this.ctx.signal, batch);
    this.telemetry.incoming(count);
    const rewrite = this.rewriter.forBatch();
    for (const item of batch) item.resource = rewrite(item.resource);
    this.telemetry.outgoing(count);
    return this.next.consume(batch);
  }

  async shutdown(): Promise<void> {
    this.closed = true;
  }
}
