import { metrics } from "@opentelemetry/api";
import pino from "pino";
import type { CreateContext, ProcessorContext } from "../../src/component/component.js";
import type { Signal } from "../../src/pdata/signal.js";
import type { Telemetry } from "../../src/telemetry/telemetry.js";

/** Counts what components report, keyed like `exporter/debug/sent/logs`. */
export class RecordingTelemetry implements Telemetry {
  readonly meter = metrics.getMeter("test");
  readonly counts = new Map<string, number>();

  private add(key: string, n: number): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }
  receiver(id: string) {
    return {
      accepted: (s: Signal, n: number) => this.add(`receiver/${id}/accepted/${s}`, n),
      refused: (s: Signal, n: number) => this.add(`receiver/${id}/refused/${s}`, n),
    };
  }
  processor(id: string, pipeline: string) {
    return {
      incoming: (n: number) => this.add(`processor/${pipeline}/${id}/incoming`, n),
      outgoing: (n: number) => this.add(`processor/${pipeline}/${id}/outgoing`, n),
    };
  }
  exporter(id: string) {
    return {
      sent: (s: Signal, n: number) => this.add(`exporter/${id}/sent/${s}`, n),
      sendFailed: (s: Signal, n: number) => this.add(`exporter/${id}/send_failed/${s}`, n),
    };
  }
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}

export function testContext(
  id: string,
  configDir = process.cwd(),
): CreateContext & { telemetry: RecordingTelemetry } {
  return { id, logger: pino({ level: "silent" }), telemetry: new RecordingTelemetry(), configDir };
}

export function processorContext(
  id: string,
  signal: Signal = "logs",
  pipeline = "logs",
): ProcessorContext & { telemetry: RecordingTelemetry } {
  return { ...testContext(id), signal, pipeline };
}

export const noopHost = { reportFatal: () => {} };
