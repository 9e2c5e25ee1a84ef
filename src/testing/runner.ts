import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import pino from "pino";
import type { Consumer, ExporterFactory, Kind, ReceiverFactory } from "../component/component.js";
import { errorMessage } from "../component/errors.js";
import type { Diagnostic } from "../config/diagnostic.js";
import { issuesToDiagnostics } from "../config/issues.js";
import { loadSource } from "../config/source.js";
import type { ComponentConfig, TriplineConfig } from "../config/validate.js";
import { type LogBatch, type LogRecord, nowNanos } from "../pdata/logs.js";
import { decodeLogsRequest } from "../pdata/otlp-json-decode.js";
import type { GraphPlan } from "../service/graph.js";
import { Service } from "../service/service.js";
import { OtelTelemetry } from "../telemetry/otel-telemetry.js";
import { dataPoints, diffRecord, show } from "./compare.js";
import { type Captured, silentReceiverFactory, sinkFactory } from "./sinks.js";
import { type Expectation, type TestCase, testFileSchema } from "./spec.js";

export interface TestResult {
  file: string;
  name: string;
  failures: string[];
  durationMs: number;
}

/** Reads a test file; schema errors come back as diagnostics with file:line:col. */
export function loadTests(file: string): { tests: TestCase[]; diagnostics: Diagnostic[] } {
  const source = loadSource(file);
  if (source.diagnostics.some((d) => d.severity === "error")) {
    return { tests: [], diagnostics: source.diagnostics };
  }
  const parsed = testFileSchema.safeParse(source.value, { reportInput: true });
  if (!parsed.success) {
    return {
      tests: [],
      diagnostics: issuesToDiagnostics(parsed.error.issues, [], testFileSchema, source.locations),
    };
  }
  return { tests: parsed.data.tests, diagnostics: source.diagnostics };
}

const SCOPE = { name: "tripline/test" };
const RESOURCE = { attributes: {} };

export function inputRecords(
  test: TestCase,
  testDir: string,
  receiver?: ComponentConfig,
): LogBatch {
  const { input } = test;
  if (input.otlp) return decodeLogsRequest(input.otlp);
  const payloads =
    input.records ??
    readFileSync(resolve(testDir, input.file!), "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as unknown);
  const factory = receiver?.factory as ReceiverFactory | undefined;
  if (factory?.toLogRecords) return factory.toLogRecords(receiver!.config, payloads);
  const now = nowNanos();
  return payloads.map(
    (payload): LogRecord => ({
      time: now,
      observedTime: now,
      severityNumber: 0,
      severityText: "",
      body: payload as LogRecord["body"],
      attributes: {},
      resource: RESOURCE,
      scope: SCOPE,
    }),
  );
}

function check(id: string, want: Expectation, got: Captured): string[] {
  const out: string[] = [];
  const items = got.logs.length + dataPoints(got.metrics).length;
  if (want.none && items > 0) out.push(`${id}: expected no output, got ${items} item(s)`);
  if (want.count !== undefined && items !== want.count) {
    out.push(`${id}: expected ${want.count} item(s), got ${items}`);
  }
  if (want.records) {
    if (want.records.length !== got.logs.length) {
      out.push(`${id}: expected ${want.records.length} record(s), got ${got.logs.length}`);
    }
    want.records.forEach((expected, i) => {
      const actual = got.logs[i];
      if (!actual) return;
      for (const line of diffRecord(expected, actual, true)) out.push(`${id} record ${i}: ${line}`);
    });
  }
  for (const [i, expected] of (want.contains ?? []).entries()) {
    const diffs = got.logs.map((r) => diffRecord(expected, r, false));
    if (diffs.some((d) => d.length === 0)) continue;
    const closest = diffs.reduce<string[] | undefined>(
      (best, d) => (!best || d.length < best.length ? d : best),
      undefined,
    );
    out.push(
      `${id}: no record matches contains[${i}]${closest ? `; closest record differs in:\n      ${closest.join("\n      ")}` : " (no records)"}`,
    );
  }
  const points = dataPoints(got.metrics);
  for (const expected of want.metrics ?? []) {
    const match = points.find(
      (p) =>
        p.name === expected.name &&
        diffRecord(
          { attributes: expected.attributes },
          { attributes: p.attributes } as never,
          false,
        ).length === 0 &&
        (expected.value === undefined || p.value === expected.value),
    );
    if (!match) {
      const same = points.filter((p) => p.name === expected.name);
      out.push(
        `${id}: no data point ${expected.name}${show(expected.attributes)}${expected.value !== undefined ? ` = ${expected.value}` : ""}; ${same.length ? `have ${same.map((p) => `${show(p.attributes)} = ${p.value}`).join(", ")}` : "no points of that metric"}`,
      );
    }
  }
  return out;
}

/** The config with every exporter swapped for an in-memory sink and every receiver for a tap. */
function isolated(config: TriplineConfig, sinks: Map<string, Captured>): TriplineConfig {
  const swap = (kind: Kind, make: (c: ComponentConfig) => ComponentConfig) =>
    new Map([...config.components[kind]].map(([id, c]) => [id, make(c)]));
  return {
    ...config,
    components: {
      ...config.components,
      exporter: swap("exporter", (c) => {
        const captured: Captured = { logs: [], metrics: [] };
        sinks.set(c.id, captured);
        return { ...c, factory: sinkFactory(c.factory as ExporterFactory, captured) };
      }),
      receiver: swap("receiver", (c) => ({
        ...c,
        factory: silentReceiverFactory(c.factory as ReceiverFactory),
      })),
    },
  };
}

export interface Injection {
  receiver?: string;
  pipeline?: string;
  batch: LogBatch;
}

/**
 * Runs a batch through a fresh copy of the graph, with exporters captured in memory, and
 * returns what each exporter received. A fresh graph per run keeps state such as dedup windows
 * from leaking between tests.
 */
export async function capturePipelines(
  config: TriplineConfig,
  plan: GraphPlan,
  configDir: string,
  input: Injection,
): Promise<{ captured: Map<string, Captured>; failures: string[] }> {
  const failures: string[] = [];
  const captured = new Map<string, Captured>();
  const telemetry = new OtelTelemetry("test");
  const service = new Service({
    config: isolated(config, captured),
    plan,
    logger: pino({ level: "silent" }),
    telemetry,
    configDir,
  });
  let accepted: Promise<unknown> = Promise.resolve();
  try {
    await service.start({
      reportFatal: (id, error) => failures.push(`${id} failed: ${error.message}`),
    });
    const target: Consumer<LogBatch> | undefined = input.receiver
      ? (service.receiverInput(input.receiver)?.logs as Consumer<LogBatch> | undefined)
      : (service.pipelineInput(input.pipeline ?? "") as Consumer<LogBatch> | undefined);
    if (!target) {
      failures.push(`${input.receiver ?? input.pipeline} does not feed any logs pipeline`);
    } else {
      accepted = target
        .consume(input.batch)
        .catch((e: unknown) => failures.push(`input refused: ${errorMessage(e)}`));
      await new Promise((r) => setImmediate(r));
    }
  } catch (error) {
    failures.push(errorMessage(error));
  } finally {
    // Shutdown flushes what batch and dedup windows hold, so a test need not wait for their
    // timers; the input's acknowledgement arrives once that flush is through.
    await service.shutdown();
    await accepted;
    await telemetry.shutdown();
  }
  return { captured, failures };
}

/** Runs one test case and compares what each exporter received with its expectations. */
export async function runTest(
  test: TestCase,
  testFile: string,
  config: TriplineConfig,
  plan: GraphPlan,
  configDir: string,
): Promise<TestResult> {
  const started = performance.now();
  const failures: string[] = [];
  for (const id of Object.keys(test.expect)) {
    if (!config.components.exporter.has(id)) {
      failures.push(`expect names exporter "${id}", which the config does not define`);
    }
  }
  const { receiver, pipeline } = test.input;
  const receiverConfig = receiver ? config.components.receiver.get(receiver) : undefined;
  if (receiver && !receiverConfig) {
    failures.push(`input names receiver "${receiver}", which the config does not define`);
  }
  if (pipeline && !plan.pipelines.some((p) => p.id === pipeline)) {
    failures.push(`input names pipeline "${pipeline}", which the config does not define`);
  }
  if (failures.length > 0) return { file: testFile, name: test.name, failures, durationMs: 0 };

  let batch: LogBatch;
  try {
    batch = inputRecords(test, dirname(testFile), receiverConfig);
  } catch (error) {
    return {
      file: testFile,
      name: test.name,
      failures: [`input: ${errorMessage(error)}`],
      durationMs: 0,
    };
  }
  const run = await capturePipelines(config, plan, configDir, { receiver, pipeline, batch });
  failures.push(...run.failures);
  for (const [id, want] of Object.entries(test.expect)) {
    failures.push(...check(id, want, run.captured.get(id) ?? { logs: [], metrics: [] }));
  }
  return { file: testFile, name: test.name, failures, durationMs: performance.now() - started };
}
