import type { Consumer, CreateContext, Exporter, SignalConsumers } from "../component/component.js";
import type { Signal } from "../pdata/signal.js";
import type { ExporterHelperConfig } from "./config.js";
import type { Sender } from "./sender.js";

export interface NetworkExporterOptions {
  ctx: CreateContext;
  config: ExporterHelperConfig;
  signals: readonly Signal[];
  /** One sender per signal the exporter supports. */
  senders: { [S in Signal]?: Sender<never> };
  start?: () => Promise<void>;
  shutdown?: () => Promise<void>;
}

/**
 * Wraps an exporter's senders with the delivery machinery (timeout per request; queueing and
 * retries are layered here too), so exporters only speak their wire protocol.
 */
export function createNetworkExporter(options: NetworkExporterOptions): Exporter {
  const consumers: SignalConsumers = {};
  for (const signal of options.signals) {
    const sender = options.senders[signal] as Sender<unknown> | undefined;
    if (!sender) continue;
    const consumer: Consumer<unknown> = {
      consume: (batch) => sender.send(batch, signal, AbortSignal.timeout(options.config.timeout)),
    };
    (consumers as Record<Signal, Consumer<unknown>>)[signal] = consumer;
  }
  return {
    consumers,
    start: async () => options.start?.(),
    shutdown: async () => options.shutdown?.(),
  };
}
