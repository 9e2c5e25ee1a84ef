import type { Consumer, Host, Processor, ProcessorContext } from "../../component/component.js";
import { RetryableError } from "../../component/errors.js";
import type { LogBatch } from "../../pdata/logs.js";
import type { AnyValue, Attributes } from "../../pdata/value.js";
import type { ProcessorTelemetry } from "../../telemetry/telemetry.js";
import { ResourceRewriter } from "../internal/resource-rewrite.js";
import type { EnrichConfig } from "./config.js";
import { Lookup } from "./lookup.js";

/** Adds static tags, environment values and lookup-table columns to log records. */
export class EnrichProcessor implements Processor<LogBatch> {
  readonly mutatesData = true;
  private readonly telemetry: ProcessorTelemetry;
  private readonly lookups: Lookup[];
  /** tags and from_env, resolved at start. */
  private statics: [string, AnyValue][] = [];
  private rewriter: ResourceRewriter | undefined;
  private closed = false;

  constructor(
    private readonly ctx: ProcessorContext,
    private readonly config: EnrichConfig,
    private readonly next: Consumer<unknown>,
  ) {
    this.telemetry = ctx.telemetry.processor(ctx.id, ctx.pipeline, ctx.signal);
    this.lookups = config.lookups.map(
      (lookup, i) => new Lookup(lookup, ctx.configDir, ctx.logger, `${ctx.id}: lookups[${i}]`),
    );
  }

  /** Reads the environment and the tables; a missing variable or unreadable table fails start. */
  async start(_host: Host): Promise<void> {
    const statics: [string, AnyValue][] = Object.entries(this.config.tags);
    const missing: string[] = [];
    for (const [attribute, variable] of Object.entries(this.config.from_env)) {
      const value = process.env[variable];
      if (value === undefined) missing.push(`${variable} (for from_env.${attribute})`);
      else statics.push([attribute, value]);
    }
    if (missing.length > 0) {
      throw new Error(`${this.ctx.id}: environment variable not set: ${missing.join(", ")}`);
    }
    this.statics = statics;
    if (this.config.resource && statics.length > 0) {
      this.rewriter = new ResourceRewriter((attributes) => this.addStatics(attributes));
    }
    const started: Lookup[] = [];
    try {
      for (const lookup of this.lookups) {
        lookup.start();
        started.push(lookup);
      }
    } catch (error) {
      for (const lookup of started) lookup.stop();
      throw error;
    }
  }

  consume(batch: LogBatch): Promise<void> {
    if (this.closed) return Promise.reject(new RetryableError(`${this.ctx.id} is shut down`));
    this.telemetry.incoming(batch.length);
    const rewrite = this.rewriter?.forBatch();
    for (const record of batch) {
      if (rewrite) record.resource = rewrite(record.resource);
      else this.addStatics(record.attributes);
      for (const lookup of this.lookups) {
        lookup.apply(record.attributes, record.resource.attributes, this.config.override);
      }
    }
    this.telemetry.outgoing(batch.length);
    return this.next.consume(batch);
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    for (const lookup of this.lookups) lookup.stop();
  }

  /** The lookup tables (for tests and debugging). */
  get tables(): readonly Lookup[] {
    return this.lookups;
  }

  private addStatics(attributes: Attributes): void {
    for (const [name, value] of this.statics) {
      if (this.config.override || attributes[name] === undefined) attributes[name] = value;
    }
  }
}
