// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${env:…} and ${file:…} are config text here
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type {
  AnyFactory,
  ConnectorFactory,
  ExporterFactory,
} from "../../src/component/component.js";
import { Registry } from "../../src/component/registry.js";
import { factories } from "../../src/components.js";
import { type Diagnostic, formatDiagnostic } from "../../src/config/diagnostic.js";
import { loadConfig } from "../../src/config/load.js";
import { planGraph } from "../../src/service/graph.js";

/**
 * No connector ships yet, so connector wiring and cycles are tested with a fake one, registered
 * with the shipped factories in a test-only Registry. A fake metrics-only exporter gives a
 * second single-signal component (the detections receiver is logs-only).
 */
const fakeConnector: ConnectorFactory = {
  type: "fake",
  kind: "connector",
  description: "test connector: logs → logs and logs → metrics",
  configSchema: z.strictObject({}),
  routes: [
    ["logs", "logs"],
    ["logs", "metrics"],
  ],
  create: () => {
    throw new Error("not used by planGraph");
  },
};

const metricsOnlyExporter: ExporterFactory = {
  type: "metrics_only",
  kind: "exporter",
  description: "test exporter that accepts metrics only",
  signals: ["metrics"],
  configSchema: z.strictObject({}),
  create: () => {
    throw new Error("not used by planGraph");
  },
};

const registry = new Registry([...factories, fakeConnector, metricsOnlyExporter] as AnyFactory[]);

const dir = mkdtempSync(join(tmpdir(), "tripline-graph-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

const COMPONENTS = `
receivers:
  detections:
  detections/2:
    endpoint: localhost:8089
processors:
  batch:
exporters:
  debug:
  debug/2:
  metrics_only:
connectors:
  fake:
  fake/2:
`;

/** Loads `yaml` (which must be a valid config) and plans its graph. */
function plan(yaml: string, env: NodeJS.ProcessEnv = {}) {
  const file = join(dir, `config-${++counter}.yaml`);
  writeFileSync(file, yaml);
  const loaded = loadConfig([file], registry, env);
  expect(loaded.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic)).toEqual(
    [],
  );
  const result = planGraph(loaded.config!);
  const format = (severity: Diagnostic["severity"]) =>
    result.diagnostics
      .filter((d) => d.severity === severity)
      .map((d) => `${d.location?.line}:${d.location?.col} ${d.path.join(".")}: ${d.message}`);
  return { ...result, errors: format("error"), warnings: format("warning") };
}

/** A config with every test component and the given pipelines (YAML under service.pipelines). */
function withPipelines(pipelines: string): string {
  return `${COMPONENTS}service:\n  pipelines:\n${pipelines.replace(/^/gm, "    ")}\n`;
}

/** The line of the first occurrence of `text` in the config built by withPipelines. */
function lineOf(pipelines: string, text: string): number {
  return (
    withPipelines(pipelines)
      .split("\n")
      .findIndex((line) => line.includes(text)) + 1
  );
}

describe("planGraph: valid graphs", () => {
  it("plans a single pipeline", () => {
    const result = plan(`
receivers:
  detections:
processors:
  batch:
exporters:
  debug:
service:
  pipelines:
    logs:
      receivers: [detections]
      processors: [batch]
      exporters: [debug]
`);
    expect(result.diagnostics).toEqual([]);
    expect(result.plan).toEqual({
      pipelines: [
        {
          id: "logs",
          signal: "logs",
          receivers: ["detections"],
          processors: ["batch"],
          exporters: ["debug"],
        },
      ],
      order: ["logs"],
    });
  });

  it("allows fan-in (several receivers) and fan-out (several exporters, shared by pipelines)", () => {
    const result = plan(
      withPipelines(`
logs:
  receivers: [detections, detections/2]
  processors: [batch]
  exporters: [debug, debug/2]
logs/audit:
  receivers: [detections]
  exporters: [debug]
metrics:
  receivers: [fake]
  exporters: [metrics_only, debug]
logs/to-metrics:
  receivers: [detections/2]
  exporters: [fake, fake/2]
logs/sink:
  receivers: [fake/2]
  exporters: [debug/2]
`),
    );
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.plan?.pipelines.map((p) => p.id)).toEqual([
      "logs",
      "logs/audit",
      "metrics",
      "logs/to-metrics",
      "logs/sink",
    ]);
    expect(result.plan?.pipelines.find((p) => p.id === "logs")).toEqual({
      id: "logs",
      signal: "logs",
      receivers: ["detections", "detections/2"],
      processors: ["batch"],
      exporters: ["debug", "debug/2"],
    });
  });

  it("orders pipelines so that a pipeline comes after every pipeline that feeds it", () => {
    // Declared downstream first: metrics ← logs/mid ← logs.
    const result = plan(
      withPipelines(`
metrics:
  receivers: [fake/2]
  exporters: [metrics_only]
logs/mid:
  receivers: [fake]
  exporters: [fake/2, debug]
logs:
  receivers: [detections, detections/2]
  processors: [batch]
  exporters: [fake, debug/2]
`),
    );
    expect(result.errors).toEqual([]);
    expect(result.plan?.order).toEqual(["logs", "logs/mid", "metrics"]);
  });

  it("puts every pipeline in the order, feeders first, when the graph branches", () => {
    const result = plan(
      withPipelines(`
logs/a:
  receivers: [fake]
  exporters: [debug]
metrics:
  receivers: [fake]
  exporters: [metrics_only]
logs:
  receivers: [detections, detections/2]
  processors: [batch]
  exporters: [fake, debug/2]
logs/other:
  receivers: [fake/2]
  exporters: [debug]
logs/feeds-other:
  receivers: [detections]
  exporters: [fake/2]
`),
    );
    expect(result.errors).toEqual([]);
    const order = result.plan!.order;
    expect([...order].sort()).toEqual([
      "logs",
      "logs/a",
      "logs/feeds-other",
      "logs/other",
      "metrics",
    ]);
    const feedsFirst = (a: string, b: string) =>
      expect(order.indexOf(a)).toBeLessThan(order.indexOf(b));
    feedsFirst("logs", "logs/a");
    feedsFirst("logs", "metrics");
    feedsFirst("logs/feeds-other", "logs/other");
  });
});

describe("planGraph: warnings", () => {
  it("warns about configured components no pipeline uses, at their key, and still plans", () => {
    const result = plan(
      withPipelines(`
logs:
  receivers: [detections]
  exporters: [debug]
`),
    );
    expect(result.errors).toEqual([]);
    expect(result.plan).toBeDefined();
    expect(result.warnings).toEqual([
      '4:3 receivers.detections/2: receiver "detections/2" is configured but not used in any pipeline',
      '7:3 processors.batch: processor "batch" is configured but not used in any pipeline',
      '10:3 exporters.debug/2: exporter "debug/2" is configured but not used in any pipeline',
      '11:3 exporters.metrics_only: exporter "metrics_only" is configured but not used in any pipeline',
      '13:3 connectors.fake: connector "fake" is configured but not used in any pipeline',
      '14:3 connectors.fake/2: connector "fake/2" is configured but not used in any pipeline',
    ]);
  });

  it("does not call components of an invalid pipeline unused", () => {
    const result = plan(`
receivers:
  detections:
exporters:
  debug:
service:
  pipelines:
    traces:
      receivers: [detections]
      exporters: [debug]
`);
    expect(result.warnings).toEqual([]);
    expect(result.errors).toEqual([
      '8:5 service.pipelines.traces: invalid pipeline ID "traces": expected "logs", "metrics", "logs/NAME" or "metrics/NAME"; Tripline carries logs and metrics, not traces',
    ]);
  });
});

describe("planGraph: invalid graphs", () => {
  const used = `
logs/used:
  receivers: [detections, detections/2, fake, fake/2]
  processors: [batch]
  exporters: [debug, debug/2]
metrics/used:
  receivers: [fake]
  exporters: [metrics_only]
logs/feed:
  receivers: [detections]
  exporters: [fake, fake/2]
`;

  it("requires at least one pipeline", () => {
    const result = plan("receivers:\n  detections:\nservice:\n  pipelines: {}\n");
    expect(result.plan).toBeUndefined();
    expect(result.errors).toEqual([
      "4:3 service.pipelines: at least one pipeline is required (e.g. logs: {receivers: [...], exporters: [...]})",
    ]);
  });

  it("checks pipeline IDs, with a hint for a misspelt signal", () => {
    const pipelines = `
log/alerts:
  receivers: [detections]
  exporters: [debug]
logs/:
  receivers: [detections]
  exporters: [debug]
logs/a/b:
  receivers: [detections]
  exporters: [debug]
metric:
  receivers: [detections]
  exporters: [debug]
${used}`;
    const result = plan(withPipelines(pipelines));
    const expected = 'expected "logs", "metrics", "logs/NAME" or "metrics/NAME"';
    expect(result.errors).toEqual([
      `${lineOf(pipelines, "log/alerts:")}:5 service.pipelines.log/alerts: invalid pipeline ID "log/alerts": ${expected} (did you mean "logs/alerts"?)`,
      `${lineOf(pipelines, "logs/:")}:5 service.pipelines.logs/: invalid pipeline ID "logs/": ${expected}`,
      `${lineOf(pipelines, "logs/a/b:")}:5 service.pipelines.logs/a/b: invalid pipeline ID "logs/a/b": ${expected}`,
      `${lineOf(pipelines, "metric:")}:5 service.pipelines.metric: invalid pipeline ID "metric": ${expected} (did you mean "metrics"?)`,
    ]);
  });

  it("requires a receiver and an exporter in every pipeline", () => {
    const pipelines = `
logs:
  processors: [batch]
metrics:
  receivers: [fake]
${used}`;
    const result = plan(withPipelines(pipelines));
    expect(result.errors).toEqual([
      `${lineOf(pipelines, "logs:")}:5 service.pipelines.logs: must have at least one receiver`,
      `${lineOf(pipelines, "logs:")}:5 service.pipelines.logs: must have at least one exporter`,
      `${lineOf(pipelines, "metrics:")}:5 service.pipelines.metrics: must have at least one exporter`,
    ]);
  });

  it("reports unknown references with a hint that includes connectors, and no connector as a processor", () => {
    const pipelines = `
logs:
  receivers: [detection]
  processors: [fake]
  exporters: [debugg, fake/3]
${used}`;
    const result = plan(withPipelines(pipelines));
    const line = lineOf(pipelines, "receivers: [detection]");
    expect(result.errors).toEqual([
      `${line}:19 service.pipelines.logs.receivers.0: references receiver "detection" which is not configured (did you mean "detections"?)`,
      `${line + 1}:20 service.pipelines.logs.processors.0: references processor "fake" which is not configured`,
      `${line + 2}:19 service.pipelines.logs.exporters.0: references exporter "debugg" which is not configured (did you mean "debug"?)`,
      `${line + 2}:27 service.pipelines.logs.exporters.1: references exporter "fake/3" which is not configured (did you mean "fake/2"?)`,
    ]);
  });

  it("reports a component listed twice in one pipeline", () => {
    const pipelines = `
logs:
  receivers: [detections, detections]
  processors: [batch, batch]
  exporters: [debug]
${used}`;
    const result = plan(withPipelines(pipelines));
    const line = lineOf(pipelines, "receivers: [detections, detections]");
    expect(result.errors).toEqual([
      `${line}:31 service.pipelines.logs.receivers.1: receiver "detections" is listed twice in pipeline "logs"`,
      `${line + 1}:27 service.pipelines.logs.processors.1: processor "batch" is listed twice in pipeline "logs"`,
    ]);
  });

  it("reports a component that does not support the pipeline's signal", () => {
    const pipelines = `
metrics:
  receivers: [detections]
  processors: [batch]
  exporters: [metrics_only]
logs:
  receivers: [detections/2]
  exporters: [metrics_only, debug]
${used}`;
    const result = plan(withPipelines(pipelines));
    expect(result.errors).toEqual([
      `${lineOf(pipelines, "receivers: [detections]")}:19 service.pipelines.metrics.receivers.0: receiver "detections" does not support metrics (it supports: logs)`,
      `${lineOf(pipelines, "exporters: [metrics_only, debug]")}:19 service.pipelines.logs.exporters.0: exporter "metrics_only" does not support logs (it supports: metrics)`,
    ]);
  });

  it("names an ID that came from the environment by its reference, never by its value", () => {
    const result = plan(
      `receivers:\n  detections:\nexporters:\n  debug:\nservice:\n  pipelines:\n    logs:\n      receivers:\n        - \${env:SECRET}\n        - detections\n      exporters: ["\${env:DBG}", "\${env:DBG}"]\n`,
      { SECRET: "hunter2", DBG: "debug" },
    );
    expect(result.errors).toEqual([
      "9:11 service.pipelines.logs.receivers.0: references receiver the value of ${env:SECRET} which is not configured",
      '11:33 service.pipelines.logs.exporters.1: exporter the value of ${env:DBG} is listed twice in pipeline "logs"',
    ]);
    expect(JSON.stringify(result.diagnostics)).not.toContain("hunter2");
  });
});

describe("planGraph: connectors", () => {
  it("wires a connector from a logs pipeline into a metrics pipeline", () => {
    const result = plan(`
receivers:
  detections:
exporters:
  metrics_only:
connectors:
  fake:
service:
  pipelines:
    metrics:
      receivers: [fake]
      exporters: [metrics_only]
    logs:
      receivers: [detections]
      exporters: [fake]
`);
    expect(result.diagnostics).toEqual([]);
    expect(result.plan?.order).toEqual(["logs", "metrics"]);
  });

  it("reports a connector used on one side only", () => {
    const pipelines = `
logs:
  receivers: [detections, fake/2]
  exporters: [debug, fake]
`;
    const result = plan(withPipelines(pipelines));
    expect(result.errors).toEqual([
      `${lineOf(pipelines, "  fake:")}:3 connectors.fake: connector "fake" is used as an exporter but not as a receiver in any pipeline`,
      `${lineOf(pipelines, "  fake/2:")}:3 connectors.fake/2: connector "fake/2" is used as a receiver but not as an exporter in any pipeline`,
    ]);
  });

  it("reports a signal pair the connector does not support", () => {
    // fake/2 is fed by a metrics pipeline: the fake connector only takes logs.
    const result = plan(
      withPipelines(`
metrics/in:
  receivers: [fake]
  exporters: [fake/2]
logs/out:
  receivers: [fake/2]
  exporters: [debug]
logs:
  receivers: [detections, detections/2]
  processors: [batch]
  exporters: [fake, debug/2]
metrics:
  receivers: [fake]
  exporters: [metrics_only]
`),
    );
    expect(result.errors).toEqual([
      '14:3 connectors.fake/2: connector "fake/2" cannot connect metrics to logs (it supports: logs → logs, logs → metrics)',
    ]);
  });

  it("reports an ID that is both an exporter and a connector as ambiguous", () => {
    const ambiguous = new Registry([
      ...factories,
      fakeConnector,
      { ...metricsOnlyExporter, type: "fake", signals: ["logs"] },
    ] as AnyFactory[]);
    const file = join(dir, `config-${++counter}.yaml`);
    writeFileSync(
      file,
      "receivers:\n  detections:\nexporters:\n  fake:\nconnectors:\n  fake:\nservice:\n  pipelines:\n    logs:\n      receivers: [detections]\n      exporters: [fake]\n",
    );
    const loaded = loadConfig([file], ambiguous, {});
    const result = planGraph(loaded.config!);
    expect(result.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic)).toEqual([
      `${file}:11:19 service.pipelines.logs.exporters[0]: ambiguous ID "fake": both an exporter and a connector have it; rename one (e.g. "fake/connector")`,
    ]);
  });
});

describe("planGraph: cycles", () => {
  it("reports a pipeline that feeds itself through a connector", () => {
    const pipelines = `
logs:
  receivers: [detections, fake]
  exporters: [debug, fake]
`;
    const result = plan(withPipelines(pipelines));
    expect(result.plan).toBeUndefined();
    expect(result.errors).toEqual([
      `${lineOf(pipelines, "  pipelines:")}:3 service.pipelines: cycle detected: pipeline "logs" → connector "fake" → pipeline "logs"`,
    ]);
  });

  it("reports a cycle through two pipelines and two connectors, once", () => {
    const pipelines = `
logs/a:
  receivers: [detections, fake/2]
  exporters: [fake]
logs/b:
  receivers: [fake]
  exporters: [fake/2, debug]
`;
    const result = plan(withPipelines(pipelines));
    expect(result.plan).toBeUndefined();
    expect(result.errors).toEqual([
      `${lineOf(pipelines, "  pipelines:")}:3 service.pipelines: cycle detected: pipeline "logs/a" → connector "fake" → pipeline "logs/b" → connector "fake/2" → pipeline "logs/a"`,
    ]);
  });

  it("reports only the cycles, not the pipelines hanging off them", () => {
    const pipelines = `
logs/entry:
  receivers: [detections]
  exporters: [fake]
logs/loop:
  receivers: [fake, fake/2]
  exporters: [fake/2, fake]
metrics:
  receivers: [fake]
  exporters: [metrics_only]
`;
    const result = plan(withPipelines(pipelines));
    const at = lineOf(pipelines, "  pipelines:");
    // logs/loop feeds itself through both connectors: two cycles, each reported once.
    expect(result.errors).toEqual([
      `${at}:3 service.pipelines: cycle detected: pipeline "logs/loop" → connector "fake/2" → pipeline "logs/loop"`,
      `${at}:3 service.pipelines: cycle detected: pipeline "logs/loop" → connector "fake" → pipeline "logs/loop"`,
    ]);
  });
});
