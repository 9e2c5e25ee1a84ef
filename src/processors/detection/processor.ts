import type { Counter } from "@opentelemetry/api";
import type { Consumer, Host, Processor, ProcessorContext } from "../../component/component.js";
import { RetryableError } from "../../component/errors.js";
import { ATTR } from "../../pdata/detection.js";
import type { LogBatch, LogRecord } from "../../pdata/logs.js";
import type { ProcessorTelemetry } from "../../telemetry/telemetry.js";
import type { DetectionConfig } from "./config.js";
import { DetectionMapper } from "./mapper.js";

/**
 * Rewrites vendor payloads into the detection model. A record that cannot be mapped is never
 * dropped and never fails the batch (the good records with it would be lost): it passes on
 * unchanged with detection.mapping_error naming the problem, and is counted.
 */
export class DetectionProcessor implements Processor<LogBatch> {
  readonly mutatesData = true;
  private readonly mapper: DetectionMapper;
  private readonly telemetry: ProcessorTelemetry;
  private readonly mappingErrors: Counter;
  private readonly filtered: Counter;
  private readonly labels: Record<string, string>;
  private closed = false;

  constructor(
    private readonly ctx: ProcessorContext,
    private readonly config: DetectionConfig,
    private readonly next: Consumer<unknown>,
  ) {
    this.telemetry = ctx.telemetry.processor(ctx.id, ctx.pipeline, ctx.signal);
    this.labels = { processor: ctx.id, pipeline: ctx.pipeline };
    const meter = ctx.telemetry.meter;
    const unknownSeverity = meter.createCounter("tripline_detection_unknown_severity", {
      description: "Records whose source severity was missing or unknown (given default_severity).",
    });
    this.mappingErrors = meter.createCounter("tripline_detection_mapping_errors", {
      description:
        "Records the preset could not read; passed on unchanged with detection.mapping_error.",
    });
    this.filtered = meter.createCounter("tripline_detection_filtered_log_records", {
      description: "Agent traces dropped because include_non_detections is false.",
    });
    this.mapper = new DetectionMapper(config, () => unknownSeverity.add(1, this.labels));
  }

  async start(_host: Host): Promise<void> {}

  async shutdown(): Promise<void> {
    this.closed = true;
  }

  consume(batch: LogBatch): Promise<void> {
    if (this.closed) return Promise.reject(new RetryableError(`${this.ctx.id} is shut down`));
    this.telemetry.incoming(batch.length);
    const out: LogBatch = [];
    let filtered = 0;
    for (const record of batch) {
      if (this.process(record)) out.push(record);
      else filtered++;
    }
    if (filtered > 0) this.filtered.add(filtered, this.labels);
    this.telemetry.outgoing(out.length);
    // Everything was filtered on purpose: there is nothing to hand on, and nothing was lost.
    if (out.length === 0) return Promise.resolve();
    return this.next.consume(out);
  }

  /** Maps one record in place; false when the record is filtered out. */
  private process(record: LogRecord): boolean {
    try {
      return this.mapper.map(record) !== "dropped";
    } catch (error) {
      // Unexpected errors are treated like unreadable payloads: one bad record must not cost
      // the batch.
      const reason = error instanceof Error ? error.message : String(error);
      record.attributes[ATTR.mappingError] = `${this.config.preset}: ${reason}`;
      this.mappingErrors.add(1, this.labels);
      return true;
    }
  }
}
