/**
 * Sample traffic for the detection_metrics tests: the shared generator's operant detections and
 * execlave traces, mapped into the detection model by the real detection processor.
 */
import { execFileSync } from "node:child_process";
import type { Consumer, SignalConsumers } from "../../../src/component/component.js";
import type { LogBatch, LogRecord } from "../../../src/pdata/logs.js";
import type { MetricBatch } from "../../../src/pdata/metrics.js";
import { detectionFactory } from "../../../src/processors/detection/factory.js";
import { processorContext } from "../../helpers/context.js";

const GENERATOR = "/work/shared/samples/generate.mjs";

export type Payload = Record<string, unknown>;

export function generate(kind: "operant" | "execlave", count: number, seed: number): Payload[] {
  const out = execFileSync("node", [GENERATOR, kind, String(count), String(seed)], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return out
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Payload);
}

/** Payloads → records in the detection model, through the detection processor. */
export async function mapped(
  preset: "operant" | "execlave",
  payloads: Payload[],
): Promise<LogBatch> {
  const out: LogRecord[] = [];
  const processor = detectionFactory.create(
    processorContext("detection"),
    detectionFactory.configSchema.parse({ preset }),
    { consume: async (batch: LogBatch) => void out.push(...batch) } as Consumer<unknown>,
  );
  await processor.consume(
    payloads.map(
      (body): LogRecord => ({
        time: 0n,
        observedTime: 1n,
        severityNumber: 0,
        severityText: "",
        body: body as LogRecord["body"],
        attributes: {},
        resource: { attributes: {} },
        scope: { name: "test" },
      }),
    ),
  );
  return out;
}

/** A metrics consumer that keeps every batch, and can wait for the next one. */
export function metricsSink() {
  const batches: MetricBatch[] = [];
  let waiting: ((batch: MetricBatch) => void) | undefined;
  const consumer: Consumer<MetricBatch> = {
    consume: async (batch) => {
      batches.push(batch);
      waiting?.(batch);
      waiting = undefined;
    },
  };
  return {
    batches,
    next: { metrics: consumer } as SignalConsumers,
    nextBatch: () => new Promise<MetricBatch>((resolve) => (waiting = resolve)),
  };
}
