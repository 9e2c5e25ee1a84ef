import type { Consumer, Host, Processor, ProcessorContext } from "../../component/component.js";
import { type Condition, compileCondition, guarded } from "../../expr/index.js";
import type { LogBatch, LogRecord } from "../../pdata/logs.js";
import type { ProcessorTelemetry } from "../../telemetry/telemetry.js";
import type { FilterConfig } from "./config.js";
import { LEVELS, levelOf } from "./severity.js";

interface Compiled {
  source: string;
  test: Condition;
}

/**
 * Drops log records, like the Collector's filter processor, plus a detection-level floor.
 * Dropped records are the difference between the incoming and outgoing counts.
 */
export class FilterProcessor implements Processor<LogBatch> {
  readonly mutatesData = false;
  private readonly telemetry: ProcessorTelemetry;
  private readonly drops: Compiled[];
  private readonly keeps: Compiled[];
  private readonly minLevel: number | undefined;

  constructor(
    private readonly ctx: ProcessorContext,
    private readonly config: FilterConfig,
    private readonly next: Consumer<unknown>,
  ) {
    this.telemetry = ctx.telemetry.processor(ctx.id, ctx.pipeline, ctx.signal);
    const compile = (source: string): Compiled => ({ source, test: compileCondition(source) });
    this.drops = [...config.logs.log_record, ...config.log_conditions].map(compile);
    this.keeps = config.except.map(compile);
    this.minLevel = config.min_severity ? LEVELS.indexOf(config.min_severity) : undefined;
  }

  async start(_host: Host): Promise<void> {}

  async shutdown(): Promise<void> {}

  consume(batch: LogBatch): Promise<void> {
    this.telemetry.incoming(batch.length);
    let kept: LogBatch;
    try {
      kept = batch.filter((record) => !this.dropped(record));
    } catch (error) {
      this.telemetry.outgoing(0);
      return Promise.reject(error);
    }
    this.telemetry.outgoing(kept.length);
    // Nothing left is a success: the sender's data was handled, by dropping it.
    if (kept.length === 0) return Promise.resolve();
    return this.next.consume(kept);
  }

  private dropped(record: LogRecord): boolean {
    if (this.drops.some((c) => this.matches(c, record))) return true;
    if (this.minLevel === undefined) return false;
    const level = levelOf(record);
    if (level === undefined || level >= this.minLevel) return false;
    return !this.keeps.some((c) => this.matches(c, record));
  }

  /** A condition that fails to evaluate counts as not matching, unless errors propagate. */
  private matches(condition: Compiled, record: LogRecord): boolean {
    const guard = { id: this.ctx.id, logger: this.ctx.logger, mode: this.config.error_mode };
    return guarded(
      guard,
      `condition \`${condition.source}\``,
      () => condition.test(record),
      false,
      {
        condition: condition.source,
      },
    );
  }
}
