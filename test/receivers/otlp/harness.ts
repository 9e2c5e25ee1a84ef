import type { Consumer, SignalConsumers } from "../../../src/component/component.js";
import type { LogBatch } from "../../../src/pdata/logs.js";
import type { MetricBatch } from "../../../src/pdata/metrics.js";
import type { Signal } from "../../../src/pdata/signal.js";
import { type OtlpConfig, otlpConfigSchema } from "../../../src/receivers/otlp/config.js";
import { otlpFactory } from "../../../src/receivers/otlp/factory.js";
import type { OtlpReceiver } from "../../../src/receivers/otlp/receiver.js";
import { RecordingTelemetry, testContext } from "../../helpers/context.js";

/** Keys receiver counts by transport too: `receiver/otlp/http/accepted/logs`. */
export class TransportTelemetry extends RecordingTelemetry {
  override receiver(id: string, transport = "") {
    return super.receiver(`${id}/${transport}`);
  }
}

/** A consumer that keeps what it accepted, or refuses with `fail` while that is set. */
export class Capture<T> implements Consumer<T> {
  readonly batches: T[] = [];
  fail?: Error;
  gate?: Promise<void>;
  /** Calls that reached this consumer, accepted or not yet. */
  entered = 0;
  onBatch?: (batch: T) => Promise<void>;

  async consume(batch: T): Promise<void> {
    this.entered++;
    await this.gate;
    if (this.fail) throw this.fail;
    this.batches.push(batch);
    await this.onBatch?.(batch);
  }
}

export interface Started {
  receiver: OtlpReceiver;
  telemetry: TransportTelemetry;
  logs: Capture<LogBatch>;
  metrics: Capture<MetricBatch>;
  httpUrl: string;
  grpcAddress: string;
}

/** Starts an otlp receiver on 127.0.0.1 with ephemeral ports, fed into capturing consumers. */
export async function startReceiver(
  protocols: Record<string, unknown> = {
    http: { endpoint: "127.0.0.1:0" },
    grpc: { endpoint: "127.0.0.1:0" },
  },
  signals: readonly Signal[] = ["logs", "metrics"],
): Promise<Started> {
  const ctx = { ...testContext("otlp"), telemetry: new TransportTelemetry() };
  const logs = new Capture<LogBatch>();
  const metrics = new Capture<MetricBatch>();
  const next: SignalConsumers = {};
  if (signals.includes("logs")) next.logs = logs;
  if (signals.includes("metrics")) next.metrics = metrics;
  const config: OtlpConfig = otlpConfigSchema.parse({ protocols });
  const receiver = otlpFactory.create(ctx, config, next) as OtlpReceiver;
  await receiver.start({ reportFatal: () => {} });
  const { http, grpc } = receiver.addresses();
  return {
    receiver,
    telemetry: ctx.telemetry,
    logs,
    metrics,
    httpUrl: http ? `http://127.0.0.1:${http.port}` : "",
    grpcAddress: grpc ? `127.0.0.1:${grpc}` : "",
  };
}

export async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error("condition not met in 2 s");
}
