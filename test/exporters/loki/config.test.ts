import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Registry } from "../../../src/component/registry.js";
import { formatDiagnostic } from "../../../src/config/diagnostic.js";
import { loadConfig } from "../../../src/config/load.js";
import { isHighCardinality, lokiConfigSchema } from "../../../src/exporters/loki/config.js";
import { lokiFactory } from "../../../src/exporters/loki/factory.js";
import { detectionsFactory } from "../../../src/receivers/detections/factory.js";

const base = { endpoint: "http://loki:3100" };

function issues(input: unknown): string[] {
  const result = lokiConfigSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("loki config", () => {
  it("defaults to the small detection label set, protobuf and structured metadata for ids", () => {
    const config = lokiConfigSchema.parse(base);
    expect(config.labels).toEqual({
      service_name: "service.name",
      env: "deployment.environment.name",
      cluster: "k8s.cluster.name",
      severity: "detection.severity",
      category: "detection.category",
    });
    expect(config.encoding).toBe("protobuf");
    expect(config.line_format).toBe("json");
    expect(config.structured_metadata).toEqual(["trace_id", "span_id", "detection.id"]);
    expect(config.max_streams).toBe(1000);
    expect(config.max_line_size).toBe(256 * 1024);
  });

  it.each([
    "detection.id",
    "trace_id",
    "span_id",
    "user.id",
    "session.id",
    "gen_ai.agent.id",
    "k8s.pod.uid",
    "security_rule.uuid",
    "request_id",
  ])("refuses the id %s as a label source", (attribute) => {
    expect(isHighCardinality(attribute)).toBe(true);
    expect(issues({ ...base, labels: { x: attribute } })).toEqual([
      expect.stringMatching(/^labels\.x: .*high cardinality.*allow_high_cardinality_labels: true$/),
    ]);
  });

  it("accepts an id as a label when allow_high_cardinality_labels is set", () => {
    expect(
      issues({ ...base, labels: { id: "detection.id" }, allow_high_cardinality_labels: true }),
    ).toEqual([]);
  });

  it("keeps low-cardinality names such as detection.action or gen_ai.agent.name", () => {
    for (const name of ["detection.action", "gen_ai.agent.name", "service.name", "valid"]) {
      expect(isHighCardinality(name)).toBe(false);
    }
  });

  it("refuses label names Loki refuses, and the reserved overflow label", () => {
    expect(issues({ ...base, labels: { "service.name": "service.name" } })[0]).toMatch(
      /^labels\.service\.name: expected a Loki label name/,
    );
    expect(issues({ ...base, labels: { __name: "service.name" } })[0]).toMatch(/^labels\.__name: /);
    expect(issues({ ...base, labels: { tripline_overflow: "a" } })).toEqual([
      "labels.tripline_overflow: tripline_overflow is reserved",
    ]);
  });

  it("refuses more labels than Loki's 15 per stream (one kept for overflow)", () => {
    const labels = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`l${i}`, `a${i}`]));
    expect(issues({ ...base, labels })).toEqual([
      expect.stringMatching(/^labels: at most 14 labels/),
    ]);
  });

  it("requires exactly one kind of auth and an http(s) endpoint", () => {
    expect(issues({ ...base, auth: {} })).toEqual([
      "auth: set exactly one of basic or bearer_token",
    ]);
    expect(issues({ endpoint: "loki:3100" })[0]).toMatch(/^endpoint: expected an http/);
  });

  it("reports the cardinality guard with file:line:col through config validation", () => {
    const dir = mkdtempSync(join(tmpdir(), "tripline-loki-config-"));
    const file = join(dir, "config.yaml");
    writeFileSync(
      file,
      [
        "receivers:",
        "  detections:",
        "exporters:",
        "  loki:",
        "    endpoint: http://loki:3100",
        "    labels:",
        "      service_name: service.name",
        "      id: detection.id",
        "service:",
        "  pipelines:",
        "    logs: { receivers: [detections], exporters: [loki] }",
        "",
      ].join("\n"),
    );
    const result = loadConfig([file], new Registry([detectionsFactory, lokiFactory]), {});
    expect(result.config).toBeUndefined();
    const text = result.diagnostics.map(formatDiagnostic);
    expect(text).toEqual([
      expect.stringMatching(
        /config\.yaml:8:\d+ exporters\.loki\.labels\.id: "detection\.id" is unique per record/,
      ),
    ]);
  });
});
