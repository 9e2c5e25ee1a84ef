import type { Consumer, Host, Processor, ProcessorContext } from "../../component/component.js";
import { RetryableError } from "../../component/errors.js";
import type { LogBatch } from "../../pdata/logs.js";
import type { ProcessorTelemetry } from "../../telemetry/telemetry.js";
import type { RedactionConfig } from "./config.js";
import { addSummary, Redactor } from "./redactor.js";

/** Masks secrets and personal data in log record attributes and bodies before they leave. */
export class RedactionProcessor implements Processor<LogBatch> {
  readonly mutatesData = true;
  private readonly redactor: Redactor;
  private readonly telemetry: ProcessorTelemetry;
  private closed = false;

  constructor(
    private readonly ctx: ProcessorContext,
    private readonly config: RedactionConfig,
    private readonly next: Consumer<unknown>,
  ) {
    this.redactor = new Redactor(config);
    this.telemetry = ctx.telemetry.processor(ctx.id, ctx.pipeline, ctx.signal);
  }

  async start(_host: Host): Promise<void> {}

  consume(batch: LogBatch): Promise<void> {
    if (this.closed) return Promise.reject(new RetryableError(`${this.ctx.id} is shut down`));
    this.telemetry.incoming(batch.length);
    for (const record of batch) {
      const findings = this.redactor.redact(record);
      addSummary(record.attributes, findings, this.config.summary);
    }
    this.telemetry.outgoing(batch.length);
    return this.next.consume(batch);
  }

  async shutdown(): Promise<void> {
    this.closed = true;
  }
}
