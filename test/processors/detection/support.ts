import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Meter } from "@opentelemetry/api";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import type { LogRecord } from "../../../src/pdata/logs.js";
import type { Resource } from "../../../src/pdata/resource.js";
import type { AnyValue } from "../../../src/pdata/value.js";
import { detectionConfigSchema } from "../../../src/processors/detection/config.js";
import { detectionFactory } from "../../../src/processors/detection/factory.js";
import { processorContext } from "../../helpers/context.js";

export const SAMPLES = "/work/shared/samples";

export function ndjson(path: string): Record<string, AnyValue>[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}

export function fixture(relative: string): Record<string, AnyValue> {
  return JSON.parse(
    readFileSync(fileURLToPath(new URL(`../../fixtures/${relative}`, import.meta.url)), "utf8"),
  );
}

/** A reader the test can collect from, so self-telemetry counters can be asserted. */
class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export const RECEIVED_AT = 1_800_000_000_000_000_000n;
export const RECEIVER_RESOURCE: Resource = { attributes: {} };
const SCOPE = { name: "tripline/receiver/detections" };

/** A record as the detections receiver emits it: the vendor object as body. */
export function received(body: AnyValue): LogRecord {
  return {
    time: RECEIVED_AT,
    observedTime: RECEIVED_AT,
    severityNumber: 0,
    severityText: "",
    body,
    attributes: {},
    resource: RECEIVER_RESOURCE,
    scope: SCOPE,
  };
}

/** A detection processor wired to a sink, with a real meter so counters can be read. */
export function setup(config: Record<string, unknown>) {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  const ctx = processorContext("detection/test");
  (ctx.telemetry as { meter: Meter }).meter = provider.getMeter("test");
  const sent: LogRecord[][] = [];
  const processor = detectionFactory.create(ctx, detectionConfigSchema.parse(config), {
    consume: async (batch) => {
      sent.push(batch as LogRecord[]);
    },
  });
  /** The value of a self-telemetry counter for this processor (0 when never added to). */
  async function counter(name: string): Promise<number> {
    const { resourceMetrics } = await reader.collect();
    let total = 0;
    for (const scope of resourceMetrics.scopeMetrics)
      for (const metric of scope.metrics)
        if (metric.descriptor.name === name)
          for (const point of metric.dataPoints)
            if (point.attributes.processor === "detection/test") total += point.value as number;
    return total;
  }
  /** Runs payloads through the processor and returns what came out. */
  async function run(bodies: AnyValue[]): Promise<LogRecord[]> {
    const before = sent.length;
    await processor.consume(bodies.map(received));
    return sent.slice(before).flat();
  }
  return { ctx, processor, sent, counter, run };
}
