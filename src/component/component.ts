import type { Logger } from "pino";
import type { z } from "zod";
import type { LogBatch } from "../pdata/logs.js";
import type { BatchOf, Signal } from "../pdata/signal.js";
import type { Telemetry } from "../telemetry/telemetry.js";

/** Accepts a batch. Resolves once the next stage has accepted it; rejects with a typed error. */
export interface Consumer<T> {
  consume(batch: T): Promise<void>;
}

/** One consumer per signal that a receiver or connector feeds, or an exporter accepts. */
export type SignalConsumers = { [S in Signal]?: Consumer<BatchOf[S]> };

export interface Lifecycle {
  start(host: Host): Promise<void>;
  /**
   * Stops taking new work and finishes what was accepted. `deadline` aborts when the service
   * must be done (a little before `service.shutdown_timeout`): whatever is still waiting then
   * is handed to a persistent queue, a dead letter or an error log rather than waited for.
   * Components with nothing to drain may ignore it.
   */
  shutdown(deadline?: AbortSignal): Promise<void>;
}

export interface Host {
  /** Report a fatal error after start (e.g. a listener died). The service shuts down. */
  reportFatal(id: string, error: Error): void;
}

export type Kind = "receiver" | "processor" | "exporter" | "connector";

export interface CreateContext {
  /** The component ID as written in the config, `type` or `type/name`. */
  id: string;
  logger: Logger;
  telemetry: Telemetry;
  /** The folder relative paths in the config resolve against. */
  configDir: string;
}

export interface ConnectorContext extends CreateContext {
  /**
   * The head consumer of each pipeline that lists this connector as a receiver, by pipeline
   * ID, for connectors that send to some of those pipelines rather than all (routing).
   */
  pipelines?: ReadonlyMap<string, Consumer<unknown>>;
}

export interface ProcessorContext extends CreateContext {
  signal: Signal;
  pipeline: string;
}

export interface Receiver extends Lifecycle {}

export interface Processor<T = unknown> extends Lifecycle, Consumer<T> {
  /** True when the processor changes batches in place, so a fan-out must give it a copy. */
  readonly mutatesData: boolean;
}

export interface Exporter extends Lifecycle {
  consumers: SignalConsumers;
  /**
   * True when the exporter counts sent / send_failed itself (once the backend answered, as the
   * exporterhelper does behind its queue), so the service does not count queued data as sent.
   */
  readonly countsOwnTelemetry?: boolean;
}

export interface Connector extends Lifecycle {
  consumers: SignalConsumers;
}

interface FactoryBase<K extends Kind, S extends z.ZodType> {
  type: string;
  kind: K;
  /** One line for `tripline components`. */
  description: string;
  configSchema: S;
}

export interface ReceiverFactory<S extends z.ZodType = z.ZodType>
  extends FactoryBase<"receiver", S> {
  signals: readonly Signal[];
  create(ctx: CreateContext, config: z.output<S>, next: SignalConsumers): Receiver;
  /**
   * How the receiver turns source payloads into log records, so `tripline test` can feed
   * sample payloads through the same mapping without a network listener.
   */
  toLogRecords?(config: z.output<S>, payloads: unknown[]): LogBatch;
}

export interface ProcessorFactory<S extends z.ZodType = z.ZodType>
  extends FactoryBase<"processor", S> {
  signals: readonly Signal[];
  create(ctx: ProcessorContext, config: z.output<S>, next: Consumer<unknown>): Processor;
}

export interface ExporterFactory<S extends z.ZodType = z.ZodType>
  extends FactoryBase<"exporter", S> {
  signals: readonly Signal[];
  create(ctx: CreateContext, config: z.output<S>, signals: readonly Signal[]): Exporter;
  /**
   * Checks the destination is reachable and accepts the credentials (`tripline check`), without
   * sending data. The detail is one line for a person and never contains a secret.
   */
  check?(config: z.output<S>): Promise<{ ok: boolean; detail: string }>;
}

export interface ConnectorFactory<S extends z.ZodType = z.ZodType>
  extends FactoryBase<"connector", S> {
  /** The (input, output) signal pairs the connector supports. */
  routes: readonly (readonly [Signal, Signal])[];
  create(ctx: ConnectorContext, config: z.output<S>, next: SignalConsumers): Connector;
}

export type AnyFactory = ReceiverFactory | ProcessorFactory | ExporterFactory | ConnectorFactory;
