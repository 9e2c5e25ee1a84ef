import { describe, expect, it } from "vitest";
import { PermanentError, RetryableError } from "../../../src/component/errors.js";
import { countFactory } from "../../../src/connectors/count/factory.js";
import type { MetricBatch, NumberDataPoint } from "../../../src/pdata/metrics.js";
import { testContext } from "../../helpers/context.js";
import { logRecord } from "../../helpers/records.js";

function make(config: unknown, fail?: Error) {
  const batches: MetricBatch[] = [];
  const connector = countFactory.create(
    testContext("count"),
    countFactory.configSchema.parse(config),
    {
      metrics: {
        consume: async (batch: MetricBatch) => {
          if (fail) throw fail;
          batches.push(batch);
        },
      },
    },
  );
  return {
    consume: (b: Parameters<typeof connector.consumers.logs.consume>[0]) =>
      connector.consumers.logs!.consume(b),
    batches,
  };
}

const prod = { attributes: { "service.name": "api", env: "prod" } };
const dev = { attributes: { "service.name": "api", env: "dev" } };

const view = (points: NumberDataPoint[]) => points.map((p) => [p.attributes, p.value]);

describe("count connector", () => {
  it("counts every record as log.record.count per resource, as delta sums", async () => {
    const { consume, batches } = make({});
    await consume([
      logRecord({ resource: prod }),
      logRecord({ resource: prod }),
      logRecord({ resource: dev }),
    ]);
    const [batch] = batches;
    expect(batch!.map((m) => [m.name, m.resource.attributes, m.description])).toEqual([
      ["log.record.count", prod.attributes, "The number of log records observed."],
      ["log.record.count", dev.attributes, "The number of log records observed."],
    ]);
    expect(batch![0]!.resource).not.toBe(prod);
    expect(batch![0]!.data).toMatchObject({ type: "sum", temporality: "delta", monotonic: true });
    expect(batch!.map((m) => view(m.data.points as NumberDataPoint[]))).toEqual([
      [[{}, 2]],
      [[{}, 1]],
    ]);
  });

  it("ORs conditions and splits by attributes (record, then scope, then resource; default_value)", async () => {
    const { consume, batches } = make({
      logs: {
        "detections.high": {
          description: "High and critical detections.",
          conditions: [
            'attributes["detection.severity"] == "high"',
            'attributes["detection.severity"] == "critical"',
          ],
          attributes: [{ key: "env" }, { key: "team", default_value: "unowned" }],
        },
        "records.by.tier": { attributes: [{ key: "tier" }] },
      },
    });
    const scope = { name: "s", attributes: { team: "from-scope" } };
    await consume([
      logRecord({ resource: prod, attributes: { "detection.severity": "high" } }),
      logRecord({
        resource: prod,
        attributes: { "detection.severity": "critical", env: "override" },
      }),
      logRecord({ resource: prod, scope, attributes: { "detection.severity": "high" } }),
      logRecord({ resource: prod, attributes: { "detection.severity": "low", tier: 1 } }),
      // No env anywhere and no default: not counted.
      logRecord({ attributes: { "detection.severity": "high" } }),
    ]);
    const [batch] = batches;
    const high = batch!.find((m) => m.name === "detections.high")!;
    expect(high.description).toBe("High and critical detections.");
    expect(view(high.data.points as NumberDataPoint[])).toEqual([
      [{ env: "prod", team: "unowned" }, 1],
      [{ env: "override", team: "unowned" }, 1],
      [{ env: "prod", team: "from-scope" }, 1],
    ]);
    const tier = batch!.find((m) => m.name === "records.by.tier")!;
    expect(view(tier.data.points as NumberDataPoint[])).toEqual([[{ tier: 1 }, 1]]);
    expect(batch!.some((m) => m.name === "log.record.count")).toBe(false);
  });

  it("gives consecutive deltas adjoining, non-overlapping intervals", async () => {
    const { consume, batches } = make({});
    await consume([logRecord()]);
    await consume([logRecord()]);
    const [a, b] = batches.map((batch) => batch[0]!.data.points[0]!);
    expect(a!.startTime).toBeLessThan(a!.time);
    expect(b!.startTime).toBe(a!.time);
    expect(b!.time).toBeGreaterThan(b!.startTime);
  });

  it("sends nothing when nothing matched, and passes a downstream refusal back", async () => {
    const quiet = make({ logs: { none: { conditions: ["false"] } } });
    await quiet.consume([logRecord()]);
    expect(quiet.batches).toEqual([]);
    const refused = make({}, new RetryableError("queue full", 1000));
    await expect(refused.consume([logRecord()])).rejects.toBeInstanceOf(RetryableError);
  });

  it("propagates a failing condition as a permanent error, or ignores it", async () => {
    const config = (error_mode: string) => ({
      error_mode,
      logs: { c: { conditions: ['ToLowerCase(attributes["n"]) == "x"', "true"] } },
    });
    const records = [logRecord({ attributes: { n: 1 } })];
    await expect(make(config("propagate")).consume(records)).rejects.toBeInstanceOf(PermanentError);
    const ignore = make(config("ignore"));
    await ignore.consume(records);
    expect(view(ignore.batches[0]![0]!.data.points as NumberDataPoint[])).toEqual([[{}, 1]]);
  });

  it("accepts the Collector's config shapes and explains what it does not support", () => {
    const parse = (c: unknown) => countFactory.configSchema.safeParse(c);
    expect(parse({ logs: { "my.count": null } }).success).toBe(true);
    const bad = parse({
      spans: { "x.count": {} },
      logs: { y: { conditions: ["attributes[ =="] } },
    });
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^logs\.y\.conditions\.0: invalid OTTL condition/),
      'spans: count connects logs to metrics only here; "spans" (a Collector section for other signals) is not supported',
    ]);
  });
});
