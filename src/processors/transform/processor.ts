import type { Consumer, Host, Processor, ProcessorContext } from "../../component/component.js";
import {
  type CompiledStatement,
  type Condition,
  compileCondition,
  compileStatement,
  guarded,
} from "../../expr/index.js";
import type { ErrorMode } from "../../expr/schema.js";
import type { LogBatch, LogRecord } from "../../pdata/logs.js";
import type { Resource, Scope } from "../../pdata/resource.js";
import type { ProcessorTelemetry } from "../../telemetry/telemetry.js";
import type { TransformConfig } from "./config.js";

interface Group {
  conditions: { source: string; test: Condition }[];
  statements: CompiledStatement[];
  errorMode: ErrorMode;
}

/**
 * Changes log records in place with OTTL statements, like the Collector's transform processor.
 * Statements run in order; each group's statements run on a record only when one of the
 * group's conditions matches (or it has none).
 */
export class TransformProcessor implements Processor<LogBatch> {
  readonly mutatesData = true;
  private readonly telemetry: ProcessorTelemetry;
  private readonly groups: Group[];
  private readonly writesResource: boolean;
  private readonly writesScope: boolean;

  constructor(
    private readonly ctx: ProcessorContext,
    config: TransformConfig,
    private readonly next: Consumer<unknown>,
  ) {
    this.telemetry = ctx.telemetry.processor(ctx.id, ctx.pipeline, ctx.signal);
    this.groups = config.log_statements.map((entry) =>
      typeof entry === "string"
        ? { conditions: [], statements: [compileStatement(entry)], errorMode: config.error_mode }
        : {
            conditions: entry.conditions.map((source) => ({
              source,
              test: compileCondition(source),
            })),
            statements: entry.statements.map((source) => compileStatement(source)),
            errorMode: entry.error_mode ?? config.error_mode,
          },
    );
    const writes = new Set(this.groups.flatMap((g) => g.statements.map((s) => s.writes)));
    this.writesResource = writes.has("resource");
    this.writesScope = writes.has("scope");
  }

  async start(_host: Host): Promise<void> {}

  async shutdown(): Promise<void> {}

  consume(batch: LogBatch): Promise<void> {
    this.telemetry.incoming(batch.length);
    try {
      this.ownShared(batch);
      for (const record of batch) {
        for (const group of this.groups) this.apply(group, record);
      }
    } catch (error) {
      this.telemetry.outgoing(0);
      return Promise.reject(error);
    }
    this.telemetry.outgoing(batch.length);
    return this.next.consume(batch);
  }

  /**
   * Resource and scope objects are shared with upstream and with other branches of a
   * fan-out (which copy only records), and may be frozen. Before writing them, give this
   * batch its own copies, one per original, so records that shared one still share one.
   */
  private ownShared(batch: LogBatch): void {
    if (this.writesResource) {
      const copies = new Map<Resource, Resource>();
      for (const record of batch) {
        let copy = copies.get(record.resource);
        if (!copy) {
          copy = { ...record.resource, attributes: structuredClone(record.resource.attributes) };
          copies.set(record.resource, copy);
        }
        record.resource = copy;
      }
    }
    if (this.writesScope) {
      const copies = new Map<Scope, Scope>();
      for (const record of batch) {
        let copy = copies.get(record.scope);
        if (!copy) {
          copy = { ...record.scope };
          if (record.scope.attributes) copy.attributes = structuredClone(record.scope.attributes);
          copies.set(record.scope, copy);
        }
        record.scope = copy;
      }
    }
  }

  private apply(group: Group, record: LogRecord): void {
    if (group.conditions.length > 0) {
      const matched = group.conditions.some(({ source, test }) =>
        this.guard(group.errorMode, source, () => test(record), false),
      );
      if (!matched) return;
    }
    for (const statement of group.statements) {
      this.guard(group.errorMode, statement.source, () => statement.run(record), undefined);
    }
  }

  /** Runs `fn`; a runtime error rejects the batch, or is logged and skipped, per error_mode. */
  private guard<T>(mode: ErrorMode, source: string, fn: () => T, fallback: T): T {
    const guard = { id: this.ctx.id, logger: this.ctx.logger, mode };
    return guarded(guard, `\`${source}\``, fn, fallback, { statement: source });
  }
}
