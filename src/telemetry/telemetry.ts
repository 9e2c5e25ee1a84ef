import type { Meter } from "@opentelemetry/api";
import type { Signal } from "../pdata/signal.js";

export interface ReceiverTelemetry {
  /** Items handed downstream and acknowledged. */
  accepted(signal: Signal, count: number): void;
  /** Items refused: malformed, over a limit, or refused by downstream. */
  refused(signal: Signal, count: number): void;
}

export interface ProcessorTelemetry {
  incoming(count: number): void;
  outgoing(count: number): void;
}

export interface ExporterTelemetry {
  sent(signal: Signal, count: number): void;
  sendFailed(signal: Signal, count: number): void;
}

/**
 * Self-telemetry named like the Collector's `otelcol_*` metrics with a `tripline_` prefix, so
 * dashboards and alerts written for the Collector translate one-to-one.
 */
export interface Telemetry {
  readonly meter: Meter;
  receiver(id: string, transport: string): ReceiverTelemetry;
  processor(id: string, pipeline: string, signal: Signal): ProcessorTelemetry;
  exporter(id: string): ExporterTelemetry;
}
