import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { checkConfig } from "../../src/cli/validate.js";
import type { ReceiverFactory } from "../../src/component/component.js";
import { capturePipelines } from "../../src/testing/runner.js";

const ROOT = resolve(import.meta.dirname, "../..");
const GENERATOR = resolve(ROOT, "../shared/samples/generate.mjs");

interface Operant {
  severity: string;
  action: string;
}

function tally(items: { severity: string; action: string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { severity, action } of items) {
    const key = `${severity}/${action}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

describe("pipelines/datadog.yaml on a 10k-record mixed sample", () => {
  it("keeps exactly the high and critical detections, counted by severity and action", async () => {
    const ndjson = execFileSync(process.execPath, [GENERATOR, "operant", "10000", "7"], {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    const payloads = ndjson
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Operant);
    expect(payloads).toHaveLength(10_000);

    const checked = checkConfig([join(ROOT, "pipelines/datadog.yaml")], { DD_API_KEY: "test" });
    expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const receiver = checked.config!.components.receiver.get("detections")!;
    const batch = (receiver.factory as ReceiverFactory).toLogRecords!(receiver.config, payloads);

    const { captured, failures } = await capturePipelines(
      checked.config!,
      checked.plan!,
      checked.configDir,
      { receiver: "detections", batch },
    );
    expect(failures).toEqual([]);

    // Expected counts come straight from the raw payloads, not from the pipeline's own model.
    const expected = tally(
      payloads.filter((p) => p.severity === "high" || p.severity === "critical"),
    );
    const kept = captured.get("datadog_logs")!.logs;
    const actual = tally(
      kept.map((r) => ({
        severity: String(r.attributes["detection.severity"]),
        action: String(r.attributes["detection.action"]),
      })),
    );
    expect(actual).toEqual(expected);
    expect(kept.length).toBeGreaterThan(500); // ~10% of the mix is high or critical
    expect(kept.length).toBeLessThan(1500);
    // Every kept record was enriched and passed redaction.
    expect(kept.every((r) => typeof r.attributes.team === "string")).toBe(true);
    expect(kept.some((r) => JSON.stringify(r.attributes).includes("4111 1111 1111 1111"))).toBe(
      false,
    );
  });
});
