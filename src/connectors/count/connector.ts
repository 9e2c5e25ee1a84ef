import type {
  Connector,
  ConnectorContext,
  Consumer,
  Host,
  SignalConsumers,
} from "../../component/component.js";
import { type Condition, compileCondition, guarded } from "../../expr/index.js";
import { type LogBatch, type LogRecord, nowNanos } from "../../pdata/logs.js";
import type { Metric, MetricBatch, NumberDataPoint } from "../../pdata/metrics.js";
import type { Resource, Scope } from "../../pdata/resource.js";
import type { AnyValue, Attributes } from "../../pdata/value.js";
import {
  type CountConfig,
  type CountMetricConfig,
  DEFAULT_DESCRIPTION,
  DEFAULT_METRIC,
} from "./config.js";

export const SCOPE: Scope = { name: "tripline/connector/count" };

interface Definition {
  name: string;
  description: string;
  conditions: { source: string; test: Condition }[];
  attributes: CountMetricConfig["attributes"];
}

function lookup(record: LogRecord, key: string): AnyValue | undefined {
  return (
    record.attributes[key] ?? record.scope.attributes?.[key] ?? record.resource.attributes[key]
  );
}

/**
 * Counts log records into metrics, with the Collector's `count` connector's config and output:
 * one delta sum per metric per resource for each batch, sent before the batch is acknowledged.
 * Unlike the Collector (which stamps the newest record time and no start time) each point
 * covers [previous send, now], so consecutive deltas never overlap and a delta-to-cumulative
 * step downstream adds every one of them.
 */
export class CountConnector implements Connector, Consumer<LogBatch> {
  readonly consumers: SignalConsumers;
  private readonly next: Consumer<MetricBatch>;
  private readonly definitions: Definition[];
  private lastTime = nowNanos();

  constructor(
    private readonly ctx: ConnectorContext,
    private readonly config: CountConfig,
    next: SignalConsumers,
  ) {
    if (!next.metrics) throw new Error(`${ctx.id}: no metrics pipeline receives from it`);
    this.next = next.metrics;
    const entries = Object.entries(config.logs);
    this.definitions =
      entries.length === 0
        ? [
            {
              name: DEFAULT_METRIC,
              description: DEFAULT_DESCRIPTION,
              conditions: [],
              attributes: [],
            },
          ]
        : entries.map(([name, m]) => ({
            name,
            description: m.description,
            conditions: m.conditions.map((source) => ({ source, test: compileCondition(source) })),
            attributes: m.attributes,
          }));
    this.consumers = { logs: this };
  }

  async start(_host: Host): Promise<void> {}

  async shutdown(): Promise<void> {}

  async consume(batch: LogBatch): Promise<void> {
    // name → resource → attribute-set key → point
    const counts = new Map<string, Map<Resource, Map<string, NumberDataPoint>>>();
    const start = this.lastTime;
    let time = nowNanos();
    if (time <= start) time = start + 1n;
    this.lastTime = time;
    for (const record of batch) {
      for (const def of this.definitions) {
        const attributes = this.attributesOf(def, record);
        if (!attributes || !this.matches(def, record)) continue;
        const byResource =
          counts.get(def.name) ?? new Map<Resource, Map<string, NumberDataPoint>>();
        counts.set(def.name, byResource);
        const points = byResource.get(record.resource) ?? new Map<string, NumberDataPoint>();
        byResource.set(record.resource, points);
        const key = JSON.stringify(attributes, (_k, v: unknown) =>
          typeof v === "bigint" ? `${v}n` : v,
        );
        const point = points.get(key);
        if (point) point.value++;
        else points.set(key, { attributes, startTime: start, time, value: 1 });
      }
    }
    const out: Metric[] = [];
    const resources = new Map<Resource, Resource>();
    for (const def of this.definitions) {
      for (const [source, points] of counts.get(def.name) ?? []) {
        let resource = resources.get(source);
        if (!resource) {
          resource = { attributes: structuredClone(source.attributes) };
          resources.set(source, resource);
        }
        out.push({
          name: def.name,
          ...(def.description ? { description: def.description } : {}),
          data: {
            type: "sum",
            temporality: "delta",
            monotonic: true,
            points: [...points.values()],
          },
          resource,
          scope: SCOPE,
        });
      }
    }
    if (out.length > 0) await this.next.consume(out);
  }

  /** The point's attributes, or undefined when a key has neither a value nor a default. */
  private attributesOf(def: Definition, record: LogRecord): Attributes | undefined {
    const out: Attributes = {};
    for (const { key, default_value } of def.attributes) {
      const value = lookup(record, key) ?? default_value;
      if (value === undefined || value === null) return undefined;
      out[key] = value;
    }
    return out;
  }

  private matches(def: Definition, record: LogRecord): boolean {
    if (def.conditions.length === 0) return true;
    const guard = { id: this.ctx.id, logger: this.ctx.logger, mode: this.config.error_mode };
    return def.conditions.some((condition) =>
      guarded(
        guard,
        `metric "${def.name}" condition \`${condition.source}\``,
        () => condition.test(record),
        false,
        { metric: def.name, condition: condition.source },
      ),
    );
  }
}
