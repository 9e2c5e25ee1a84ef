import type { Attributes, Counter, ObservableGauge, ObservableResult } from "@opentelemetry/api";
import type { CreateContext } from "../component/component.js";
import { ITEM_NAME, type Signal } from "../pdata/signal.js";

export interface QueueGaugeSource {
  size: number;
  capacity: number;
}

/**
 * The exporterhelper's own metrics, named like the Collector's `otelcol_exporter_*` with a
 * `tripline_` prefix (the Prometheus exporter appends `_total` to counters).
 */
export class HelperTelemetry {
  private readonly attrs: Attributes;
  private readonly counters = new Map<string, Counter>();
  private readonly gauges: [ObservableGauge, (result: ObservableResult) => void][] = [];

  constructor(
    private readonly ctx: CreateContext,
    queue: QueueGaugeSource | undefined,
  ) {
    this.attrs = { exporter: ctx.id };
    if (!queue) return;
    const meter = ctx.telemetry.meter;
    const size = meter.createObservableGauge("tripline_exporter_queue_size", {
      description: "Current size of the sending queue, in sizer units.",
    });
    const capacity = meter.createObservableGauge("tripline_exporter_queue_capacity", {
      description: "Capacity of the sending queue, in sizer units.",
    });
    this.observe(size, (r) => r.observe(queue.size, this.attrs));
    this.observe(capacity, (r) => r.observe(queue.capacity, this.attrs));
  }

  sent(signal: Signal, n: number): void {
    this.ctx.telemetry.exporter(this.ctx.id).sent(signal, n);
  }

  sendFailed(signal: Signal, n: number): void {
    this.ctx.telemetry.exporter(this.ctx.id).sendFailed(signal, n);
  }

  enqueueFailed(signal: Signal, n: number): void {
    this.add(
      `tripline_exporter_enqueue_failed_${ITEM_NAME[signal]}`,
      "Items the sending queue refused.",
      n,
    );
  }

  retried(): void {
    this.add("tripline_exporter_retries", "Requests retried after a temporary failure.", 1);
  }

  dropped(signal: Signal, n: number, reason: string): void {
    this.add(
      `tripline_exporter_dropped_${ITEM_NAME[signal]}`,
      "Items given up without delivery (see the dead-letter counter for those kept).",
      n,
      reason,
    );
  }

  deadLettered(signal: Signal, n: number, reason: string): void {
    this.add(
      `tripline_exporter_dead_lettered_${ITEM_NAME[signal]}`,
      "Items written to the dead-letter file.",
      n,
      reason,
    );
  }

  /** Detaches the gauges, so a stopped exporter no longer reports. */
  close(): void {
    for (const [gauge, callback] of this.gauges) gauge.removeCallback(callback);
    this.gauges.length = 0;
  }

  private observe(gauge: ObservableGauge, callback: (result: ObservableResult) => void): void {
    gauge.addCallback(callback);
    this.gauges.push([gauge, callback]);
  }

  private add(name: string, description: string, n: number, reason?: string): void {
    if (n <= 0) return;
    let counter = this.counters.get(name);
    if (!counter) {
      counter = this.ctx.telemetry.meter.createCounter(name, { description });
      this.counters.set(name, counter);
    }
    counter.add(n, reason ? { ...this.attrs, reason } : this.attrs);
  }
}
