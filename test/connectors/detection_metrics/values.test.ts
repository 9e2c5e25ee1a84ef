import { describe, expect, it } from "vitest";
import { detectionMetricsFactory } from "../../../src/connectors/detection_metrics/factory.js";
import type {
  HistogramDataPoint,
  MetricBatch,
  NumberDataPoint,
} from "../../../src/pdata/metrics.js";
import type { Attributes } from "../../../src/pdata/value.js";
import { noopHost, testContext } from "../../helpers/context.js";
import { generate, mapped, metricsSink, type Payload } from "./fixtures.js";

const keyOf = (attributes: Attributes) =>
  JSON.stringify(
    Object.keys(attributes)
      .sort()
      .map((k) => [k, attributes[k]]),
  );

function add(map: Map<string, number>, attributes: Attributes, n: number): void {
  const key = keyOf(attributes);
  map.set(key, (map.get(key) ?? 0) + n);
}

function points(batch: MetricBatch, name: string): NumberDataPoint[] {
  const metric = batch.find((m) => m.name === name);
  if (metric?.data.type !== "sum") throw new Error(`no sum ${name}`);
  return metric.data.points;
}

function byKey(ps: NumberDataPoint[]): Map<string, number> {
  return new Map(ps.map((p) => [keyOf(p.attributes), p.value]));
}

// The execlave preset's contract, restated: detect statuses → severity, category, action.
const EXECLAVE_DETECTIONS: Record<string, [string, string, string]> = {
  policy_blocked: ["high", "policy_violation", "blocked"],
  flagged_for_review: ["medium", "policy_violation", "flagged_for_review"],
  limit_exceeded: ["medium", "cost_limit", "rate_limited"],
};
const BOUNDS = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

describe("detection_metrics: exact values over 10k operant detections and 2k execlave traces", async () => {
  const operant = generate("operant", 10_000, 7);
  const execlave = generate("execlave", 2_000, 11);
  const records = [...(await mapped("operant", operant)), ...(await mapped("execlave", execlave))];

  const sink = metricsSink();
  const connector = detectionMetricsFactory.create(
    testContext("detection_metrics"),
    detectionMetricsFactory.configSchema.parse({
      // Uniformly random samples spread over ~10k label sets; real traffic is far narrower.
      max_series: 50_000,
      metrics: [
        {
          name: "detections.blocked.cost",
          type: "sum",
          where: 'attributes["detection.action"] == "blocked"',
          value: 'attributes["gen_ai.usage.cost_usd"]',
          dimensions: ["gen_ai.agent.id"],
        },
      ],
    }),
    sink.next,
  );
  await connector.start(noopHost);
  for (let i = 0; i < records.length; i += 500)
    await connector.consumers.logs!.consume(records.slice(i, i + 500));
  await connector.shutdown();
  const batch = sink.batches.at(-1)!;

  it("counts detections per label set exactly", () => {
    const want = new Map<string, number>();
    for (const p of operant) {
      const surface = p.surface as Payload;
      const workload = p.workload as Payload;
      add(
        want,
        {
          "detection.severity": p.severity as string,
          "detection.category": p.category as string,
          "detection.action": p.action as string,
          "detection.surface": surface.type as string,
          "gen_ai.agent.id": surface.agent_id as string,
          "service.name": workload.service as string,
          "deployment.environment.name": p.environment as string,
          "k8s.cluster.name": workload.cluster as string,
          "k8s.namespace.name": workload.namespace as string,
        },
        1,
      );
    }
    for (const p of execlave) {
      const kind = EXECLAVE_DETECTIONS[p.status as string];
      if (!kind) continue;
      add(
        want,
        {
          "detection.severity": kind[0],
          "detection.category": kind[1],
          "detection.action": kind[2],
          "detection.surface": "ai_agent",
          "gen_ai.agent.id": p.agent_id as string,
          "service.name": p.agent_id as string,
          "deployment.environment.name": p.environment as string,
        },
        1,
      );
    }
    const got = byKey(points(batch, "detections"));
    expect(got).toEqual(want);
    expect([...got.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(10_000);
    const metric = batch.find((m) => m.name === "detections")!;
    expect(metric.data).toMatchObject({ temporality: "cumulative", monotonic: true });
    expect(metric.unit).toBe("{detection}");
  });

  it("counts agent traces by agent and status, and sums tokens by model and type", () => {
    const traces = new Map<string, number>();
    const tokens = new Map<string, number>();
    for (const p of execlave) {
      add(traces, { "gen_ai.agent.id": p.agent_id as string, status: p.status as string }, 1);
      const model = p.model as string;
      add(
        tokens,
        { "gen_ai.request.model": model, "gen_ai.token.type": "input" },
        p.prompt_tokens as number,
      );
      add(
        tokens,
        { "gen_ai.request.model": model, "gen_ai.token.type": "output" },
        p.completion_tokens as number,
      );
    }
    expect(byKey(points(batch, "gen_ai.agent.traces"))).toEqual(traces);
    expect(byKey(points(batch, "gen_ai.usage.tokens"))).toEqual(tokens);
  });

  it("sums cost per agent, and the user-defined sum over blocked detections only", () => {
    const cost = new Map<string, number>();
    const blocked = new Map<string, number>();
    for (const p of execlave) {
      add(cost, { "gen_ai.agent.id": p.agent_id as string }, p.cost_usd as number);
      if (p.status === "policy_blocked")
        add(blocked, { "gen_ai.agent.id": p.agent_id as string }, p.cost_usd as number);
    }
    expect(byKey(points(batch, "gen_ai.usage.cost_usd"))).toEqual(cost);
    expect(byKey(points(batch, "detections.blocked.cost"))).toEqual(blocked);
  });

  it("fills duration histogram buckets exactly", () => {
    const want = new Map<string, { counts: number[]; sum: number; min: number; max: number }>();
    for (const p of execlave) {
      const key = keyOf({ "gen_ai.agent.id": p.agent_id as string });
      const h = want.get(key) ?? {
        counts: new Array<number>(BOUNDS.length + 1).fill(0),
        sum: 0,
        min: Infinity,
        max: -Infinity,
      };
      const v = p.duration_ms as number;
      const i = BOUNDS.findIndex((b) => v <= b);
      h.counts[i === -1 ? BOUNDS.length : i]!++;
      h.sum += v;
      h.min = Math.min(h.min, v);
      h.max = Math.max(h.max, v);
      want.set(key, h);
    }
    const metric = batch.find((m) => m.name === "gen_ai.agent.duration")!;
    expect(metric.unit).toBe("ms");
    if (metric.data.type !== "histogram") throw new Error("not a histogram");
    const got = new Map(
      metric.data.points.map((p: HistogramDataPoint) => [
        keyOf(p.attributes),
        { counts: p.bucketCounts, sum: p.sum, min: p.min, max: p.max },
      ]),
    );
    expect(got).toEqual(want);
    for (const p of metric.data.points) {
      expect(p.explicitBounds).toEqual(BOUNDS);
      expect(p.count).toBe(p.bucketCounts.reduce((a, b) => a + b, 0));
    }
  });
});
