import { Writable } from "node:stream";
import type { Meter } from "@opentelemetry/api";
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import pino from "pino";
import { RetryableError } from "../../src/component/errors.js";
import type { ExporterHelperConfig } from "../../src/exporterhelper/config.js";
import { exporterHelperSchema } from "../../src/exporterhelper/config.js";
import { createNetworkExporter, type NetworkExporter } from "../../src/exporterhelper/exporter.js";
import type { Sender } from "../../src/exporterhelper/sender.js";
import type { Signal } from "../../src/pdata/signal.js";
import { noopHost, RecordingTelemetry } from "../helpers/context.js";

class ManualReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** RecordingTelemetry whose meter is a real SDK meter, so counters and gauges can be read. */
export class MeteredTelemetry extends RecordingTelemetry {
  private readonly reader = new ManualReader();
  override readonly meter: Meter;
  constructor() {
    super();
    const provider = new MeterProvider({ readers: [this.reader] });
    this.meter = provider.getMeter("test");
  }

  /** Sum of a metric's points whose attributes include `attrs`; undefined if never reported. */
  async metric(name: string, attrs: Record<string, string> = {}): Promise<number | undefined> {
    const { resourceMetrics } = await this.reader.collect();
    return sumOf(resourceMetrics, name, attrs);
  }
}

function sumOf(rm: ResourceMetrics, name: string, attrs: Record<string, string>) {
  let total: number | undefined;
  for (const sm of rm.scopeMetrics) {
    for (const m of sm.metrics) {
      if (m.descriptor.name !== name) continue;
      for (const p of m.dataPoints) {
        const matches = Object.entries(attrs).every(([k, v]) => p.attributes[k] === v);
        if (matches) total = (total ?? 0) + (p.value as number);
      }
    }
  }
  return total;
}

/** Captures log lines as parsed objects. */
export function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines };
}

type Step = "ok" | "hang" | Error;

/**
 * A backend stand-in: answers each call from a script (then `fallback`), optionally holding
 * every call until `release()`. "hang" never settles, even when aborted.
 */
export class FakeSender implements Sender<unknown> {
  readonly calls: { batch: unknown[]; signal: Signal; abort: AbortSignal; at: number }[] = [];
  readonly delivered: unknown[][] = [];
  inFlight = 0;
  maxInFlight = 0;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  private waiters: (() => void)[] = [];

  constructor(
    readonly script: Step[] = [],
    public fallback: Step = "ok",
  ) {}

  hold(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  async send(batch: unknown, signal: Signal, abort: AbortSignal): Promise<void> {
    this.calls.push({ batch: batch as unknown[], signal, abort, at: Date.now() });
    for (const wake of this.waiters.splice(0)) wake();
    const step = this.script.shift() ?? this.fallback;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.gate) await this.gate;
      if (step === "hang") await new Promise(() => {});
      if (step instanceof Error) throw step;
      this.delivered.push(batch as unknown[]);
    } finally {
      this.inFlight--;
    }
  }

  /** Resolves once `n` calls have been made (real timers). */
  async waitForCalls(n: number, timeoutMs = 5000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.calls.length < n) {
      if (Date.now() > until) throw new Error(`expected ${n} calls, got ${this.calls.length}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
  }
}

/** A request as PreparingSender makes it: a stand-in for encoded bytes, with no records. */
export interface FakeRequest {
  encoded: string;
}

/**
 * A FakeSender that can prepare: `calls` and `delivered` then hold requests. `preparedCalls`
 * and `sentCalls` tell which path each call took.
 */
export class PreparingSender extends FakeSender implements Sender<unknown, FakeRequest> {
  prepares = 0;
  preparedCalls = 0;
  sentCalls = 0;
  /** Thrown by prepare (an encoding error). */
  failPrepare: Error | undefined;

  prepare(batch: unknown, _signal: Signal): FakeRequest {
    if (this.failPrepare) throw this.failPrepare;
    this.prepares++;
    const records = batch as { attributes: Record<string, unknown> }[];
    return { encoded: records.map((r) => String(r.attributes.i)).join(",") };
  }

  /** Requests handed back, in order. */
  readonly recycled: FakeRequest[] = [];

  recycle(request: FakeRequest): void {
    this.recycled.push(request);
  }

  sendPrepared(request: FakeRequest, signal: Signal, abort: AbortSignal): Promise<void> {
    this.preparedCalls++;
    return super.send(request, signal, abort);
  }

  override send(batch: unknown, signal: Signal, abort: AbortSignal): Promise<void> {
    this.sentCalls++;
    return super.send(batch, signal, abort);
  }
}

export const retryable = (message = "503 unavailable", retryAfterMs?: number) =>
  new RetryableError(message, retryAfterMs);

export interface Setup {
  exporter: NetworkExporter;
  telemetry: MeteredTelemetry;
  lines: Record<string, unknown>[];
  config: ExporterHelperConfig;
}

/** Creates and starts an exporter for `logs` (and `metrics`) around `sender`. */
export async function startExporter(
  config: Record<string, unknown>,
  sender: Sender<unknown>,
  options: { id?: string; configDir?: string; segmentBytes?: number; start?: boolean } = {},
): Promise<Setup> {
  const telemetry = new MeteredTelemetry();
  const { logger, lines } = captureLogger();
  const parsed = exporterHelperSchema.parse(config);
  const exporter = createNetworkExporter({
    ctx: {
      id: options.id ?? "otlp_http/test",
      logger,
      telemetry,
      configDir: options.configDir ?? process.cwd(),
    },
    config: parsed,
    signals: ["logs", "metrics"],
    senders: { logs: sender, metrics: sender },
    random: () => 0.5,
    segmentBytes: options.segmentBytes,
  });
  if (options.start !== false) await exporter.start(noopHost);
  return { exporter, telemetry, lines, config: parsed };
}

/** Settles pending microtasks and I/O callbacks. */
export const tick = () => new Promise((resolve) => setImmediate(resolve));

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
