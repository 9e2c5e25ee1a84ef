import type {
  Connector,
  ConnectorContext,
  Consumer,
  Host,
  SignalConsumers,
} from "../../component/component.js";
import { combineErrors } from "../../component/errors.js";
import { type Condition, compileCondition, guarded } from "../../expr/index.js";
import { cloneLogRecord, type LogBatch, type LogRecord } from "../../pdata/logs.js";
import type { RoutingConfig } from "./config.js";
import { routeCondition } from "./statement.js";

interface Route {
  source: string;
  test: Condition;
  pipelines: Consumer<unknown>[];
}

/**
 * Sends each log record to the pipelines of the routes it matches, like the Collector's
 * routing connector. The batch is acknowledged once every pipeline it went to accepted its
 * share; a refusal from any of them is passed back (combined, like a fan-out).
 */
export class RoutingConnector implements Connector, Consumer<LogBatch> {
  readonly consumers: SignalConsumers;
  private readonly routes: Route[];
  private readonly defaults: Consumer<unknown>[];

  constructor(
    private readonly ctx: ConnectorContext,
    private readonly config: RoutingConfig,
  ) {
    const heads = ctx.pipelines ?? new Map<string, Consumer<unknown>>();
    const resolve = (ids: readonly string[], where: string): Consumer<unknown>[] =>
      ids.map((id) => {
        const head = heads.get(id);
        if (head) return head;
        const known = [...heads.keys()];
        throw new Error(
          `${ctx.id}: ${where} names pipeline "${id}", which does not list "${ctx.id}" as a receiver` +
            (known.length ? ` (pipelines that do: ${known.join(", ")})` : " (no pipeline does)"),
        );
      });
    this.routes = config.table.map((route, i) => {
      const options = { context: route.context };
      return route.condition !== undefined
        ? {
            source: route.condition,
            test: compileCondition(route.condition, options),
            pipelines: resolve(route.pipelines, `table[${i}]`),
          }
        : {
            source: route.statement!,
            test: routeCondition(route.statement!, options),
            pipelines: resolve(route.pipelines, `table[${i}]`),
          };
    });
    this.defaults = resolve(config.default_pipelines, "default_pipelines");
    this.consumers = { logs: this };
  }

  async start(_host: Host): Promise<void> {
    if (this.defaults.length === 0) {
      this.ctx.logger.info("no default_pipelines: records that match no route are dropped");
    }
  }

  async shutdown(): Promise<void> {}

  async consume(batch: LogBatch): Promise<void> {
    const shares = new Map<Consumer<unknown>, LogRecord[]>();
    for (const record of batch) {
      // A record bound for several pipelines is copied for all but the first, since a
      // pipeline may change records in place.
      let first = true;
      for (const pipeline of this.targets(record)) {
        const share = shares.get(pipeline) ?? [];
        share.push(first ? record : cloneLogRecord(record));
        shares.set(pipeline, share);
        first = false;
      }
    }
    const results = await Promise.allSettled(
      [...shares].map(([pipeline, share]) => pipeline.consume(share)),
    );
    const errors = results.filter((r) => r.status === "rejected").map((r) => r.reason as unknown);
    if (errors.length > 0) throw combineErrors(errors);
  }

  private targets(record: LogRecord): Set<Consumer<unknown>> {
    const targets = new Set<Consumer<unknown>>();
    for (const route of this.routes) {
      if (!this.matches(route, record)) continue;
      for (const pipeline of route.pipelines) targets.add(pipeline);
      if (this.config.match_once) break;
    }
    return targets.size > 0 ? targets : new Set(this.defaults);
  }

  private matches(route: Route, record: LogRecord): boolean {
    const guard = { id: this.ctx.id, logger: this.ctx.logger, mode: this.config.error_mode };
    return guarded(guard, `route \`${route.source}\``, () => route.test(record), false, {
      route: route.source,
    });
  }
}
