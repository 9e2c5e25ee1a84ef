import { AggregationTemporality, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { describe, expect, it } from "vitest";
import { PermanentError } from "../../../src/component/errors.js";
import type { DetectionMetricsConnector } from "../../../src/connectors/detection_metrics/connector.js";
import { detectionMetricsFactory } from "../../../src/connectors/detection_metrics/factory.js";
import type { LogRecord } from "../../../src/pdata/logs.js";
import type { Metric, MetricBatch, NumberDataPoint } from "../../../src/pdata/metrics.js";
import { noopHost, RecordingTelemetry, testContext } from "../../helpers/context.js";
import { logRecord } from "../../helpers/records.js";
import { metricsSink } from "./fixtures.js";

class Reader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** A connector whose self-telemetry goes to a reader the test can collect. */
function make(config: unknown, next = metricsSink()) {
  const reader = new Reader();
  const provider = new MeterProvider({ readers: [reader] });
  const telemetry = Object.assign(new RecordingTelemetry(), { meter: provider.getMeter("t") });
  const ctx = { ...testContext("detection_metrics/test"), telemetry };
  const connector = detectionMetricsFactory.create(
    ctx,
    detectionMetricsFactory.configSchema.parse(config),
    next.next,
  ) as DetectionMetricsConnector;
  const selfMetric = async (name: string) => {
    const { resourceMetrics } = await reader.collect();
    const m = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((x) => x.descriptor.name === name);
    return m?.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value as number })) ?? [];
  };
  return { connector, sink: next, selfMetric };
}

function trace(agent: string, extra: LogRecord["attributes"] = {}): LogRecord {
  return logRecord({
    eventName: "gen_ai.agent.trace",
    attributes: {
      "gen_ai.agent.id": agent,
      status: "success",
      "gen_ai.usage.cost_usd": 0.5,
      duration_ms: 120,
      ...extra,
    },
  });
}

function sum(batch: MetricBatch, name: string): NumberDataPoint[] {
  const m = batch.find((x) => x.name === name);
  if (m?.data.type !== "sum") return [];
  return m.data.points;
}

describe("detection_metrics: cardinality", () => {
  it("keeps max_series series, folds the rest into otel.metric.overflow and counts them", async () => {
    const { connector, selfMetric } = make({ agent_traces: { max_series: 100 } });
    const agents = Array.from({ length: 10_000 }, (_, i) => trace(`agent-${i}`));
    await connector.consume(agents);
    const traces = connector.measures.find(
      (m) => m.instrument.spec.name === "gen_ai.agent.traces",
    )!;
    expect(traces.instrument.seriesCount).toBe(101);
    // Another 10k new agents: memory stays bounded.
    await connector.consume(Array.from({ length: 10_000 }, (_, i) => trace(`other-${i}`)));
    expect(traces.instrument.seriesCount).toBe(101);

    const points = sum(connector.collect(), "gen_ai.agent.traces");
    expect(points).toHaveLength(101);
    const overflow = points.filter((p) => p.attributes["otel.metric.overflow"] === true);
    expect(overflow).toHaveLength(1);
    expect(overflow[0]!.attributes).toEqual({ "otel.metric.overflow": true });
    expect(overflow[0]!.value).toBe(19_900);
    expect(points.reduce((a, p) => a + p.value, 0)).toBe(20_000);
    const kept = points
      .filter((p) => p !== overflow[0])
      .map((p) => p.attributes["gen_ai.agent.id"]);
    expect(kept).toEqual(Array.from({ length: 100 }, (_, i) => `agent-${i}`));

    // Cost and duration have their own (default, 2000) limit.
    const cost = connector.measures.find(
      (m) => m.instrument.spec.name === "gen_ai.usage.cost_usd",
    )!;
    expect(cost.instrument.seriesCount).toBe(2001);
    const overflowed = await selfMetric("tripline_connector_metric_overflow");
    expect(
      overflowed.map((p) => [p.attributes.connector, p.attributes.metric, p.value]).sort(),
    ).toEqual([
      ["detection_metrics/test", "gen_ai.agent.duration", 18_000],
      ["detection_metrics/test", "gen_ai.agent.traces", 19_900],
      ["detection_metrics/test", "gen_ai.usage.cost_usd", 18_000],
    ]);
    await connector.shutdown();
  });
});

describe("detection_metrics: cumulative temporality", () => {
  it("emits growing totals with a fixed start time per series, on the interval and at shutdown", async () => {
    const { connector, sink } = make({ interval: "20ms" });
    await connector.start(noopHost);
    const before = BigInt(Date.now()) * 1_000_000n;
    await connector.consume([trace("a"), trace("a"), trace("b")]);
    const first = await sink.nextBatch();
    await connector.consume([trace("a"), trace("c")]);
    const second = await sink.nextBatch();
    await connector.consume([trace("a")]);
    await connector.shutdown();
    const last = sink.batches.at(-1)!;

    const value = (batch: MetricBatch, agent: string) =>
      sum(batch, "gen_ai.agent.traces").find((p) => p.attributes["gen_ai.agent.id"] === agent);
    expect([value(first, "a")?.value, value(first, "b")?.value, value(first, "c")]).toEqual([
      2,
      1,
      undefined,
    ]);
    expect([
      value(second, "a")?.value,
      value(second, "b")?.value,
      value(second, "c")?.value,
    ]).toEqual([3, 1, 1]);
    expect([value(last, "a")?.value, value(last, "b")?.value, value(last, "c")?.value]).toEqual([
      4, 1, 1,
    ]);

    const a1 = value(first, "a")!;
    const a2 = value(second, "a")!;
    const a3 = value(last, "a")!;
    expect(a2.startTime).toBe(a1.startTime);
    expect(a3.startTime).toBe(a1.startTime);
    expect(a1.startTime).toBeGreaterThanOrEqual(before - 1_000_000n);
    expect(a1.startTime).toBeLessThanOrEqual(a1.time);
    expect(a2.time).toBeGreaterThan(a1.time);
    expect(a3.time).toBeGreaterThan(a2.time);
    // A series first seen later starts later.
    expect(value(second, "c")!.startTime).toBeGreaterThan(a1.startTime);
    const metric = first.find((m) => m.name === "gen_ai.agent.traces")!;
    expect(metric.data).toMatchObject({ type: "sum", temporality: "cumulative", monotonic: true });
    const histogram = last.find((m) => m.name === "gen_ai.agent.duration")!;
    expect(histogram.data).toMatchObject({ type: "histogram", temporality: "cumulative" });
  });

  it("restarts values and start times in a new instance (a new process)", async () => {
    const one = make({});
    await one.connector.consume([trace("a"), trace("a"), trace("a")]);
    await one.connector.shutdown();
    const old = sum(one.sink.batches.at(-1)!, "gen_ai.agent.traces")[0]!;
    expect(old.value).toBe(3);

    const two = make({});
    await two.connector.consume([trace("a")]);
    await two.connector.shutdown();
    const fresh = sum(two.sink.batches.at(-1)!, "gen_ai.agent.traces")[0]!;
    expect(fresh.value).toBe(1);
    expect(fresh.startTime).toBeGreaterThan(old.time);
  });

  it("converts to the same totals as deltas (local converter: src/pdata/temporality.ts is not there yet)", async () => {
    const { connector, sink } = make({});
    const fed = [3, 0, 5, 2];
    for (const n of fed) {
      await connector.consume(Array.from({ length: n }, () => trace("a")));
      await connector.flush();
    }
    await connector.shutdown();
    const previous = new Map<string, { startTime: bigint; value: number }>();
    const deltas: number[] = [];
    // Cumulative → delta as the spec describes: subtract the previous point of the same series
    // and start time; a new start time begins a new series.
    for (const batch of sink.batches) {
      for (const p of sum(batch, "gen_ai.agent.traces")) {
        const key = JSON.stringify(p.attributes);
        const prev = previous.get(key);
        deltas.push(prev && prev.startTime === p.startTime ? p.value - prev.value : p.value);
        previous.set(key, { startTime: p.startTime, value: p.value });
      }
    }
    // One flush per consume plus the one at shutdown (which adds nothing).
    expect(deltas).toEqual([...fed, 0]);
    expect(sink.batches).toHaveLength(fed.length + 1);
  });
});

describe("detection_metrics: measurements", () => {
  it("counts only security.detection records, with dimensions from the record, then the resource", async () => {
    const { connector } = make({
      detections: {
        dimensions: ["detection.severity", "service.name", { name: "team", default: "none" }],
      },
    });
    const resource = { attributes: { "service.name": "from-resource", team: "red" } };
    await connector.consume([
      logRecord({ attributes: { "detection.severity": "high" }, resource }),
      logRecord({
        attributes: { "detection.severity": "high", "service.name": "from-record" },
        resource,
      }),
      logRecord({ attributes: { "detection.severity": "low" } }),
      logRecord({
        eventName: "something.else",
        attributes: { "detection.severity": "high" },
        resource,
      }),
    ]);
    const points = sum(connector.collect(), "detections").map((p) => [p.attributes, p.value]);
    expect(points).toEqual([
      [{ "detection.severity": "high", "service.name": "from-resource", team: "red" }, 1],
      [{ "detection.severity": "high", "service.name": "from-record", team: "red" }, 1],
      [{ "detection.severity": "low", "service.name": "test", team: "none" }, 1],
    ]);
  });

  it("skips values that are not numbers or negative for a counter, and counts why", async () => {
    const { connector, selfMetric } = make({});
    await connector.consume([
      trace("a", { "gen_ai.usage.cost_usd": "0.5" }),
      trace("a", { "gen_ai.usage.cost_usd": -1 }),
      trace("a", { "gen_ai.usage.cost_usd": 0.25 }),
    ]);
    expect(sum(connector.collect(), "gen_ai.usage.cost_usd").map((p) => p.value)).toEqual([0.25]);
    const skipped = await selfMetric("tripline_connector_metric_skipped_measurements");
    expect(skipped.map((s) => [s.attributes.reason, s.value]).sort()).toEqual([
      ["negative", 1],
      ["not_a_number", 1],
    ]);
  });

  it("ignores a failing where expression by default, and propagate rejects the batch", async () => {
    const config = (mode: string) => ({
      error_mode: mode,
      metrics: [{ name: "weird", type: "counter", where: 'ToLowerCase(attributes["n"]) == "x"' }],
    });
    const records = [logRecord({ attributes: { n: 1, "detection.severity": "high" } })];
    const ignore = make(config("ignore"));
    await ignore.connector.consume(records);
    const out = ignore.connector.collect();
    expect(out.find((m: Metric) => m.name === "weird")).toBeUndefined();
    expect(sum(out, "detections")).toHaveLength(1);

    const propagate = make(config("propagate"));
    await expect(propagate.connector.consume(records)).rejects.toBeInstanceOf(PermanentError);
  });

  it("refuses records after shutdown with a retryable error", async () => {
    const { connector } = make({});
    await connector.shutdown();
    await expect(connector.consume([trace("a")])).rejects.toThrow(/shut down/);
  });

  it("logs a refused flush and carries the totals in the next one", async () => {
    let refuse = true;
    const got: MetricBatch[] = [];
    const next = {
      ...metricsSink(),
      next: {
        metrics: {
          consume: async (batch: MetricBatch) => {
            if (refuse) throw new Error("backend down");
            got.push(batch);
          },
        },
      },
    };
    const { connector } = make({}, next as ReturnType<typeof metricsSink>);
    await connector.consume([trace("a"), trace("a")]);
    await connector.flush();
    refuse = false;
    await connector.consume([trace("a")]);
    await connector.shutdown();
    expect(sum(got[0]!, "gen_ai.agent.traces")[0]!.value).toBe(3);
  });
});

describe("detection_metrics: config", () => {
  const parse = (config: unknown) => detectionMetricsFactory.configSchema.safeParse(config);
  const messages = (config: unknown) => {
    const r = parse(config);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("has the documented defaults", () => {
    const c = detectionMetricsFactory.configSchema.parse({});
    expect(c.interval).toBe(10_000);
    expect(c.max_series).toBe(2000);
    expect(c.detections.name).toBe("detections");
    expect(c.detections.dimensions.map((d) => d.name)).toEqual([
      "detection.severity",
      "detection.category",
      "detection.action",
      "detection.surface",
      "gen_ai.agent.id",
      "service.name",
      "deployment.environment.name",
      "k8s.cluster.name",
      "k8s.namespace.name",
    ]);
    expect(c.agent_duration.buckets[0]).toBe(0);
  });

  it("reports each mistake at its path", () => {
    expect(
      messages({
        agent_duration: { buckets: [10, 5] },
        metrics: [
          { name: "detections", type: "counter" },
          { name: "x", type: "sum" },
          { name: "y", type: "counter", where: 'attributes["a"] ==' },
          { name: "z", type: "counter", value: "1" },
        ],
      }),
    ).toEqual([
      "agent_duration.buckets: must be strictly increasing",
      "metrics.1.value: value is required for a sum",
      expect.stringMatching(/^metrics\.2\.where: invalid OTTL condition/),
      "metrics.3.value: a counter counts records; use type: sum to add up a value",
      'metrics.0.name: metric name "detections" is already used by detections',
    ]);
    expect(messages({ metrics: [{ name: "detections", type: "counter" }] })).toEqual([
      'metrics.0.name: metric name "detections" is already used by detections',
    ]);
    expect(messages({ interval: "0s" })).toEqual(["interval: must be greater than 0"]);
  });
});
