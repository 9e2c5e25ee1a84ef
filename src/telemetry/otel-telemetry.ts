import type { Counter, Meter } from "@opentelemetry/api";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { ITEM_NAME, type Signal } from "../pdata/signal.js";
import type {
  ExporterTelemetry,
  ProcessorTelemetry,
  ReceiverTelemetry,
  Telemetry,
} from "./telemetry.js";

/**
 * Self-telemetry on the OpenTelemetry SDK, read by its Prometheus exporter on demand (no
 * server of its own: the service mounts its handler next to /healthz and /readyz).
 */
export class OtelTelemetry implements Telemetry {
  readonly meter: Meter;
  readonly prometheus: PrometheusExporter;
  private readonly provider: MeterProvider;
  private readonly counters = new Map<string, Counter>();

  constructor(serviceVersion: string) {
    this.prometheus = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
    this.provider = new MeterProvider({
      resource: resourceFromAttributes({
        "service.name": "tripline",
        "service.version": serviceVersion,
      }),
      readers: [this.prometheus],
    });
    this.meter = this.provider.getMeter("tripline");
  }

  private counter(name: string, description: string): Counter {
    let counter = this.counters.get(name);
    if (!counter) {
      counter = this.meter.createCounter(name, { description });
      this.counters.set(name, counter);
    }
    return counter;
  }

  private add(
    name: string,
    description: string,
    count: number,
    attributes: Record<string, string>,
  ) {
    if (count > 0) this.counter(name, description).add(count, attributes);
  }

  receiver(id: string, transport: string): ReceiverTelemetry {
    const attrs = { receiver: id, transport };
    return {
      accepted: (signal: Signal, n: number) =>
        this.add(
          `tripline_receiver_accepted_${ITEM_NAME[signal]}`,
          "Items accepted and acknowledged to the sender.",
          n,
          attrs,
        ),
      refused: (signal: Signal, n: number) =>
        this.add(
          `tripline_receiver_refused_${ITEM_NAME[signal]}`,
          "Items refused: invalid, over a limit, or refused downstream.",
          n,
          attrs,
        ),
    };
  }

  processor(id: string, pipeline: string, signal: Signal): ProcessorTelemetry {
    const attrs = { processor: id, pipeline, otel_signal: signal };
    return {
      incoming: (n: number) =>
        this.add(
          "tripline_processor_incoming_items",
          "Items that entered the processor.",
          n,
          attrs,
        ),
      outgoing: (n: number) =>
        this.add("tripline_processor_outgoing_items", "Items the processor passed on.", n, attrs),
    };
  }

  exporter(id: string): ExporterTelemetry {
    const attrs = { exporter: id };
    return {
      sent: (signal: Signal, n: number) =>
        this.add(
          `tripline_exporter_sent_${ITEM_NAME[signal]}`,
          "Items the destination accepted.",
          n,
          attrs,
        ),
      sendFailed: (signal: Signal, n: number) =>
        this.add(
          `tripline_exporter_send_failed_${ITEM_NAME[signal]}`,
          "Items that failed to be sent.",
          n,
          attrs,
        ),
    };
  }

  /**
   * The Prometheus exposition text of every metric, as /metrics would serve it. `--workers`
   * sends it to the primary over IPC, which serves the merged text of all workers.
   */
  async exposition(): Promise<string> {
    const { resourceMetrics } = await this.prometheus.collect();
    // Same options as the exporter above: no prefix, no timestamps, no scope labels.
    return new PrometheusSerializer(undefined, false, undefined, false, true).serialize(
      resourceMetrics,
    );
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}
