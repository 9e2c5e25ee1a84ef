import type { ExporterFactory, ReceiverFactory } from "../component/component.js";
import type { LogBatch } from "../pdata/logs.js";
import type { MetricBatch } from "../pdata/metrics.js";

/** What an exporter would have sent, captured in memory instead. */
export interface Captured {
  logs: LogBatch;
  metrics: MetricBatch;
}

/** Stands in for a real exporter: same ID and signals, no network. */
export function sinkFactory(original: ExporterFactory, into: Captured): ExporterFactory {
  return {
    ...original,
    create: () => ({
      consumers: {
        logs: { consume: async (batch: LogBatch) => void into.logs.push(...batch) },
        metrics: { consume: async (batch: MetricBatch) => void into.metrics.push(...batch) },
      },
      start: async () => {},
      shutdown: async () => {},
    }),
  };
}

/** Stands in for a real receiver: listens on nothing; tests inject behind it. */
export function silentReceiverFactory(original: ReceiverFactory): ReceiverFactory {
  return {
    ...original,
    create: () => ({ start: async () => {}, shutdown: async () => {} }),
  };
}
