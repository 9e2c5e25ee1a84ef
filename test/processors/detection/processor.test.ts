import { describe, expect, it } from "vitest";
import { RetryableError } from "../../../src/component/errors.js";
import type { LogRecord } from "../../../src/pdata/logs.js";
import { detectionConfigSchema } from "../../../src/processors/detection/config.js";
import { noopHost } from "../../helpers/context.js";
import { logRecord } from "../../helpers/records.js";
import { ndjson, RECEIVER_RESOURCE, received, SAMPLES, setup } from "./support.js";

const operant = ndjson(`${SAMPLES}/operant/detections.ndjson`);

describe("detection processor", () => {
  it("fills in defaults and documents every option", () => {
    const config = detectionConfigSchema.parse({ preset: "falco" });
    expect(config).toEqual({
      preset: "falco",
      default_severity: "info",
      severity_map: {},
      keep_raw: "none",
      detect_statuses: ["policy_blocked", "flagged_for_review", "limit_exceeded"],
      include_non_detections: true,
    });
    const shape = detectionConfigSchema.shape;
    for (const key of Object.keys(shape) as (keyof typeof shape)[])
      expect(shape[key].description, key).toBeTruthy();
    expect(detectionConfigSchema.safeParse({}).success).toBe(false);
    expect(
      detectionConfigSchema.safeParse({ preset: "falco", default_severity: "warn" }).success,
    ).toBe(false);
  });

  it("gives a missing or unknown severity the default, marks it and counts it", async () => {
    const { run, counter } = setup({ preset: "operant", default_severity: "medium" });
    const { severity: _s, ...noSeverity } = operant[0]!;
    const out = await run([noSeverity, { ...operant[0]!, severity: "sev2" }, operant[0]!]);
    expect(
      out.map((r) => [r.severityText, r.severityNumber, r.attributes["detection.severity"]]),
    ).toEqual([
      ["", 14, "medium"],
      ["sev2", 14, "medium"],
      ["info", 9, "info"],
    ]);
    expect(out.map((r) => r.attributes["detection.severity_defaulted"])).toEqual([
      true,
      true,
      undefined,
    ]);
    expect(await counter("tripline_detection_unknown_severity")).toBe(2);
  });

  it("lets severity_map override and extend the preset's scale, case-insensitively", async () => {
    const { run } = setup({ preset: "falco", severity_map: { Notice: "high", verbose: "info" } });
    const alert = { rule: "r", priority: "Notice" };
    const out = await run([
      alert,
      { ...alert, priority: "VERBOSE" },
      { ...alert, priority: "Error" },
    ]);
    expect(out.map((r) => r.attributes["detection.severity"])).toEqual(["high", "info", "high"]);
    expect(out.map((r) => r.severityText)).toEqual(["Notice", "VERBOSE", "Error"]);
  });

  it("passes a record it cannot map unchanged, with the reason, next to the good ones", async () => {
    const { run, counter } = setup({ preset: "operant" });
    const out = await run(["just text", [1, 2], operant[0]!, null, "{not json"]);
    expect(out).toHaveLength(5);
    expect(out.map((r) => r.attributes["detection.mapping_error"])).toEqual([
      "operant: body is a string; expected the source's JSON object",
      "operant: body is an array; expected the source's JSON object",
      undefined,
      "operant: body is null; expected the source's JSON object",
      "operant: body is a string that is not valid JSON; expected a JSON object",
    ]);
    expect(out[0]).toEqual({ ...received("just text"), attributes: out[0]!.attributes });
    expect(out[2]!.eventName).toBe("security.detection");
    expect(await counter("tripline_detection_mapping_errors")).toBe(4);
  });

  it("reads a JSON object carried as a string body", async () => {
    const { run } = setup({ preset: "operant" });
    const [record] = await run([JSON.stringify(operant[0])]);
    expect(record!.attributes["detection.id"]).toBe(operant[0]!.detection_id);
  });

  it("flags an object that is not the preset's format", async () => {
    const { run } = setup({ preset: "execlave" });
    const [record] = await run([{ hello: "world" }]);
    expect(record!.attributes["detection.mapping_error"]).toBe(
      "execlave: not an execlave trace: neither trace_id nor status is present",
    );
    expect(record!.body).toEqual({ hello: "world" });
  });

  it("keeps the raw payload as body or as detection.raw when asked", async () => {
    const asBody = setup({ preset: "operant", keep_raw: "body" });
    const [a] = await asBody.run([operant[0]!]);
    expect(a!.body).toEqual(operant[0]);
    expect(a!.attributes).not.toHaveProperty("detection.raw");

    const asAttribute = setup({ preset: "operant", keep_raw: "attribute" });
    const [b] = await asAttribute.run([operant[0]!]);
    expect(b!.body).toBe(operant[0]!.title);
    expect(JSON.parse(b!.attributes["detection.raw"] as string)).toEqual(operant[0]);

    const [c] = await asAttribute.run([JSON.stringify(operant[1])]);
    expect(c!.attributes["detection.raw"]).toBe(JSON.stringify(operant[1]));
  });

  it("shares one resource per workload and never between workloads", async () => {
    const { run } = setup({ preset: "operant" });
    const out = await run(operant);
    const byKey = new Map<string, Set<object>>();
    for (const record of out) {
      const key = JSON.stringify(record.resource.attributes);
      if (!byKey.has(key)) byKey.set(key, new Set());
      byKey.get(key)!.add(record.resource);
    }
    for (const [key, objects] of byKey) expect(objects.size, key).toBe(1);
    expect(new Set(out.map((r) => r.resource)).size).toBe(byKey.size);
    expect(byKey.size).toBeGreaterThan(1);
    expect(RECEIVER_RESOURCE.attributes).toEqual({});

    // Across batches too, so a later batch processor can regroup them.
    const [again] = await run([operant[0]!]);
    expect(again!.resource).toBe(out[0]!.resource);
  });

  it("keeps the attributes a record already had and its resource when the preset adds none", async () => {
    const { run, processor, sent } = setup({ preset: "generic", fields: { id: "$.id" } });
    const record = { ...received({ id: "a" }), attributes: { "tenant.id": "t1" } };
    await processor.consume([record]);
    expect(sent[0]![0]!.attributes).toEqual({
      "tenant.id": "t1",
      "detection.id": "a",
      "detection.severity": "info",
      "detection.severity_defaulted": true,
    });
    expect(sent[0]![0]!.resource).toBe(RECEIVER_RESOURCE);
    expect(await run([])).toEqual([]);
  });

  it("passes records already in the model untouched", async () => {
    const { processor, sent } = setup({ preset: "operant" });
    const modelled = logRecord();
    const before = structuredClone(modelled);
    await processor.consume([modelled]);
    expect(sent[0]![0]).toBe(modelled);
    expect(modelled).toEqual(before);
  });

  it("counts items in and out, and refuses after shutdown", async () => {
    const { ctx, processor } = setup({ preset: "execlave", include_non_detections: false });
    const traces = ndjson(`${SAMPLES}/execlave/traces.ndjson`);
    await processor.start(noopHost);
    await processor.consume(traces.map(received) as LogRecord[]);
    const detections = traces.filter((t) =>
      ["policy_blocked", "flagged_for_review", "limit_exceeded"].includes(t.status as string),
    ).length;
    expect(ctx.telemetry.get("processor/logs/detection/test/incoming")).toBe(traces.length);
    expect(ctx.telemetry.get("processor/logs/detection/test/outgoing")).toBe(detections);
    await processor.shutdown();
    await expect(processor.consume([received(traces[0]!)])).rejects.toBeInstanceOf(RetryableError);
  });
});
