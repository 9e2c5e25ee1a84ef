import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { detectionsConfigSchema } from "../../../src/receivers/detections/config.js";
import { detectionsFactory } from "../../../src/receivers/detections/factory.js";
import { type Started, send, startReceiver } from "./harness.js";

const samples = (vendor: string) =>
  readFileSync(
    join(
      import.meta.dirname,
      `../../../../shared/samples/${vendor}/${vendor === "operant" ? "detections" : "traces"}.ndjson`,
    ),
    "utf8",
  )
    .trim()
    .split("\n");

let started: Started | undefined;
afterEach(async () => {
  await started?.receiver.shutdown();
  started = undefined;
});

describe("detections receiver: presets", () => {
  it("maps every item with the operant preset before it goes downstream", async () => {
    started = await startReceiver({ preset: "operant" });
    const lines = samples("operant").slice(0, 5);
    const reply = await send(started.url, lines.join("\n"), {
      "content-type": "application/x-ndjson",
    });
    expect(reply.json).toEqual({ accepted: 5 });
    const records = started.sink.records();
    const first = JSON.parse(lines[0]!) as { detection_id: string; category: string };
    expect(records[0]!.eventName).toBe("security.detection");
    expect(records[0]!.attributes["detection.id"]).toBe(first.detection_id);
    expect(records[0]!.attributes["detection.category"]).toBe(first.category);
    expect(records[0]!.time).toBe(1_795_165_200_000_000_000n); // detected_at, not arrival time
    expect(records[0]!.resource.attributes["k8s.cluster.name"]).toBe("prod-us-east-1");
  });

  it("rejects an item the preset cannot read, keeping the others", async () => {
    started = await startReceiver({ preset: "falco" });
    const good = {
      time: "2026-11-20T09:00:00.123456789Z",
      rule: "Terminal shell in container",
      priority: "Warning",
      output: "A shell was spawned",
      source: "syscall",
      output_fields: {},
    };
    const reply = await send(started.url, JSON.stringify([good, { priority: 42 }]));
    expect(reply.status).toBe(200);
    expect(reply.json.accepted).toBe(1);
    expect(reply.json.rejected).toBe(1);
    expect(reply.json.errors[0].index).toBe(1);
    expect(reply.json.errors[0].error).toMatch(/^preset falco: /);
    expect(started.sink.records()[0]!.attributes["detection.severity"]).toBe("medium");
  });

  it("gives `tripline test` the same mapping through toLogRecords", () => {
    const config = detectionsConfigSchema.parse({ preset: "execlave" });
    const payloads = samples("execlave")
      .slice(0, 3)
      .map((l) => JSON.parse(l) as unknown);
    const records = detectionsFactory.toLogRecords!(config, payloads);
    expect(records).toHaveLength(3);
    expect(records.every((r) => typeof r.attributes["detection.severity"] === "string")).toBe(true);
    expect(records[0]!.attributes.agent_id).toBe((payloads[0] as { agent_id: string }).agent_id);
  });
});
