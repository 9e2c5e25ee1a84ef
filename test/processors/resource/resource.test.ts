import { describe, expect, it } from "vitest";
import type { Consumer } from "../../../src/component/component.js";
import type { LogRecord } from "../../../src/pdata/logs.js";
import type { Metric } from "../../../src/pdata/metrics.js";
import { EMPTY_RESOURCE, type Resource } from "../../../src/pdata/resource.js";
import { resourceConfigSchema } from "../../../src/processors/resource/config.js";
import { resourceFactory } from "../../../src/processors/resource/factory.js";
import { processorContext } from "../../helpers/context.js";
import { logRecord } from "../../helpers/records.js";

class Sink implements Consumer<unknown> {
  readonly batches: unknown[][] = [];
  async consume(batch: unknown): Promise<void> {
    this.batches.push(batch as unknown[]);
  }
}

function setup(attributes: unknown[], signal: "logs" | "metrics" = "logs") {
  const sink = new Sink();
  const ctx = processorContext("resource", signal, signal);
  const processor = resourceFactory.create(ctx, resourceConfigSchema.parse({ attributes }), sink);
  return { sink, ctx, processor };
}

describe("resource processor", () => {
  const cases: { name: string; actions: unknown[]; want: Record<string, unknown> }[] = [
    {
      name: "upsert",
      actions: [{ key: "deployment.environment.name", action: "upsert", value: "prod" }],
      want: {
        "service.name": "svc",
        "k8s.cluster.name": "c1",
        "deployment.environment.name": "prod",
      },
    },
    {
      name: "delete",
      actions: [{ key: "k8s.cluster.name", action: "delete" }],
      want: { "service.name": "svc" },
    },
    {
      name: "rename",
      actions: [{ key: "k8s.cluster.name", action: "rename", new_key: "cluster" }],
      want: { "service.name": "svc", cluster: "c1" },
    },
  ];
  for (const c of cases) {
    it(`applies ${c.name} to resource attributes`, async () => {
      const { sink, processor } = setup(c.actions);
      const resource: Resource = {
        attributes: { "service.name": "svc", "k8s.cluster.name": "c1" },
      };
      await processor.consume([logRecord({ resource })]);
      expect((sink.batches[0]![0] as LogRecord).resource.attributes).toEqual(c.want);
    });
  }

  it("never changes a shared resource, and records that shared one share the copy", async () => {
    const { sink, processor } = setup([{ key: "team", action: "insert", value: "red" }]);
    const shared: Resource = { attributes: { "service.name": "a" }, schemaUrl: "s" };
    const other: Resource = { attributes: { "service.name": "b" } };
    const before = structuredClone(shared);
    const batch = [
      logRecord({ resource: shared }),
      logRecord({ resource: other }),
      logRecord({ resource: shared }),
    ];
    // A record from another batch (or another fan-out branch) still holding the original.
    const elsewhere = logRecord({ resource: shared });
    await processor.consume(batch);

    const out = sink.batches[0] as LogRecord[];
    expect(shared).toEqual(before);
    expect(elsewhere.resource).toBe(shared);
    expect(out[0]!.resource).not.toBe(shared);
    expect(out[0]!.resource).toBe(out[2]!.resource);
    expect(out[1]!.resource).not.toBe(out[0]!.resource);
    expect(out[0]!.resource).toEqual({
      attributes: { "service.name": "a", team: "red" },
      schemaUrl: "s",
    });
    expect(out[1]!.resource.attributes).toEqual({ "service.name": "b", team: "red" });
  });

  it("works on the frozen empty resource", async () => {
    const { sink, processor } = setup([{ key: "team", action: "insert", value: "red" }]);
    await processor.consume([logRecord({ resource: EMPTY_RESOURCE })]);
    expect((sink.batches[0]![0] as LogRecord).resource.attributes).toEqual({ team: "red" });
    expect(EMPTY_RESOURCE.attributes).toEqual({});
  });

  it("rewrites metric resources the same way", async () => {
    const { sink, ctx, processor } = setup([{ key: "service.name", action: "hash" }], "metrics");
    const shared: Resource = { attributes: { "service.name": "a" } };
    const metric = (name: string): Metric => ({
      name,
      data: { type: "gauge", points: [{ attributes: {}, startTime: 0n, time: 1n, value: 1 }] },
      resource: shared,
      scope: { name: "t" },
    });
    await processor.consume([metric("x"), metric("y")]);
    const out = sink.batches[0] as Metric[];
    expect(out[0]!.resource).toBe(out[1]!.resource);
    expect(out[0]!.resource.attributes["service.name"]).toMatch(/^[0-9a-f]{64}$/);
    expect(shared.attributes["service.name"]).toBe("a");
    expect(ctx.telemetry.get("processor/metrics/resource/outgoing")).toBe(2);
  });

  it("validates its actions like the attributes processor", () => {
    expect(resourceConfigSchema.safeParse({ attributes: [] }).success).toBe(false);
    expect(resourceConfigSchema.safeParse({ actions: [] }).success).toBe(false);
    const bad = resourceConfigSchema.safeParse({ attributes: [{ key: "a", action: "update" }] });
    expect(bad.error?.issues[0]?.message).toMatch(/needs one of value/);
  });
});
