import type { Logger } from "pino";
import type {
  Connector,
  ConnectorFactory,
  Consumer,
  CreateContext,
  Exporter,
  ExporterFactory,
  Host,
  Kind,
  Lifecycle,
  Processor,
  ProcessorFactory,
  Receiver,
  ReceiverFactory,
  SignalConsumers,
} from "../component/component.js";
import { errorMessage } from "../component/errors.js";
import type { ComponentConfig, TriplineConfig } from "../config/validate.js";
import { countItems, type Signal } from "../pdata/signal.js";
import type { Telemetry } from "../telemetry/telemetry.js";
import { type Downstream, fanout } from "./fanout.js";
import type { GraphPlan, PipelinePlan } from "./graph.js";
import { SwitchableConsumers } from "./switch.js";

interface Running {
  kind: Kind;
  id: string;
  instance: Lifecycle;
}

/** A pipeline's processors in order, head first, and what its receivers feed. */
export interface PipelineChain {
  processors: { id: string; instance: Processor }[];
  head: Downstream;
}

/** A receiver and the switchable input it was given, so a reload can swap what it feeds. */
export interface ReceiverEntry {
  instance: Receiver;
  input: SwitchableConsumers;
}

/**
 * Running instances a reload carries from the old graph into the new one, by ID (pipelines by
 * pipeline ID). They are neither created nor started again.
 */
export interface CarriedOver {
  exporters: ReadonlyMap<string, Exporter>;
  connectors: ReadonlyMap<string, Connector>;
  pipelines: ReadonlyMap<string, PipelineChain>;
  receivers: ReadonlyMap<string, ReceiverEntry>;
}

/** What `shutdown` may leave running (for a reload) besides the deadline. */
export interface ShutdownOptions {
  /** Instances carried into a new graph: not stopped. */
  keep?: ReadonlySet<Lifecycle>;
}

export interface ServiceDeps {
  config: TriplineConfig;
  plan: GraphPlan;
  logger: Logger;
  telemetry: Telemetry;
  configDir: string;
  /** Instances a reload carries over from the previous graph. */
  carry?: CarriedOver;
}

/** Counts what an exporter accepted or failed, like the Collector's exporterhelper does. */
function observedExporter(
  signal: Signal,
  consumer: Consumer<unknown>,
  telemetry: ReturnType<Telemetry["exporter"]>,
): Consumer<unknown> {
  return {
    async consume(batch) {
      const n = countItems(signal, batch as never);
      try {
        await consumer.consume(batch);
        telemetry.sent(signal, n);
      } catch (error) {
        telemetry.sendFailed(signal, n);
        throw error;
      }
    },
  };
}

/**
 * The running graph: one instance per receiver, exporter and connector (shared by every
 * pipeline that lists it), one instance per processor per pipeline.
 */
export class Service {
  private readonly exporters = new Map<string, Exporter>();
  private readonly connectors = new Map<string, Connector>();
  private readonly receivers = new Map<string, Receiver>();
  /** Pipeline ID → its processors in order, head first. */
  private readonly processors = new Map<string, { id: string; instance: Processor }[]>();
  private readonly heads = new Map<string, Downstream>();
  /** Receiver ID → its switchable input and the fan-outs this graph installs into it. */
  private readonly inputs = new Map<
    string,
    { input: SwitchableConsumers; targets: SignalConsumers }
  >();
  /** Instances carried over from a previous graph: already running. */
  private readonly carried = new Set<Lifecycle>();
  private started: Running[] = [];

  constructor(private readonly deps: ServiceDeps) {
    this.build();
  }

  private context(kind: Kind, component: ComponentConfig): CreateContext {
    return {
      id: component.id,
      logger: this.deps.logger.child({ kind, component: component.id }),
      telemetry: this.deps.telemetry,
      configDir: this.deps.configDir,
    };
  }

  private pipelinesWith(role: "receivers" | "exporters", id: string): PipelinePlan[] {
    return this.deps.plan.pipelines.filter((p) => p[role].includes(id));
  }

  /** One fan-out per signal over the heads of the pipelines that receive from `id`. */
  private feeds(id: string): SignalConsumers {
    const bySignal = new Map<Signal, Downstream[]>();
    for (const p of this.pipelinesWith("receivers", id)) {
      const head = this.heads.get(p.id);
      if (!head) throw new Error(`internal: pipeline "${p.id}" built out of order`);
      bySignal.set(p.signal, [...(bySignal.get(p.signal) ?? []), head]);
    }
    const out: SignalConsumers = {};
    for (const [signal, heads] of bySignal) {
      (out as Record<Signal, Consumer<unknown>>)[signal] = fanout(signal, heads).consumer;
    }
    return out;
  }

  /** The head of each pipeline that receives from connector `id`, by pipeline ID. */
  private pipelineHeads(id: string): Map<string, Consumer<unknown>> {
    return new Map(
      this.pipelinesWith("receivers", id).map((p) => {
        const head = this.heads.get(p.id);
        if (!head) throw new Error(`internal: pipeline "${p.id}" built out of order`);
        return [p.id, head.consumer];
      }),
    );
  }

  private exporterConsumer(id: string, signal: Signal): Consumer<unknown> {
    const { components } = this.deps.config;
    const connector = components.connector.get(id);
    if (connector) {
      let instance = this.connectors.get(id) ?? this.carry("connectors", id);
      if (!instance) {
        const factory = connector.factory as ConnectorFactory;
        instance = factory.create(
          { ...this.context("connector", connector), pipelines: this.pipelineHeads(id) },
          connector.config,
          this.feeds(id),
        );
      }
      this.connectors.set(id, instance);
      return (instance.consumers as Record<Signal, Consumer<unknown>>)[signal];
    }
    const exporter = components.exporter.get(id)!;
    let instance = this.exporters.get(id) ?? this.carry("exporters", id);
    if (!instance) {
      const signals = [...new Set(this.pipelinesWith("exporters", id).map((p) => p.signal))];
      instance = (exporter.factory as ExporterFactory).create(
        this.context("exporter", exporter),
        exporter.config,
        signals,
      );
    }
    this.exporters.set(id, instance);
    const consumer = (instance.consumers as Record<Signal, Consumer<unknown>>)[signal];
    if (instance.countsOwnTelemetry) return consumer;
    return observedExporter(signal, consumer, this.deps.telemetry.exporter(id));
  }

  /** A running instance handed over by a reload, marked so `start` leaves it alone. */
  private carry<K extends "exporters" | "connectors">(
    kind: K,
    id: string,
  ): NonNullable<ReturnType<CarriedOver[K]["get"]>> | undefined {
    const instance = this.deps.carry?.[kind].get(id) as
      | NonNullable<ReturnType<CarriedOver[K]["get"]>>
      | undefined;
    if (instance) this.carried.add(instance);
    return instance;
  }

  private build(): void {
    const { plan, config } = this.deps;
    // Downstream pipelines first, so a connector finds the heads it feeds.
    for (const id of [...plan.order].reverse()) {
      const pipeline = plan.pipelines.find((p) => p.id === id)!;
      const kept = this.deps.carry?.pipelines.get(id);
      if (kept) {
        // Its exporters and connectors are carried too; registering them keeps them running.
        for (const e of pipeline.exporters) this.exporterConsumer(e, pipeline.signal);
        for (const p of kept.processors) this.carried.add(p.instance);
        this.processors.set(id, kept.processors);
        this.heads.set(id, kept.head);
        continue;
      }
      let next: Downstream = fanout(
        pipeline.signal,
        pipeline.exporters.map((e) => ({
          consumer: this.exporterConsumer(e, pipeline.signal),
          mutatesData: false,
        })),
      );
      const chain: { id: string; instance: Processor }[] = [];
      for (const processorId of [...pipeline.processors].reverse()) {
        const component = config.components.processor.get(processorId)!;
        const ctx = {
          ...this.context("processor", component),
          signal: pipeline.signal,
          pipeline: pipeline.id,
        };
        const instance = (component.factory as ProcessorFactory).create(
          ctx,
          component.config,
          next.consumer,
        );
        chain.unshift({ id: processorId, instance });
        next = { consumer: instance, mutatesData: instance.mutatesData || next.mutatesData };
      }
      this.processors.set(pipeline.id, chain);
      this.heads.set(pipeline.id, next);
    }
    for (const [id, receiver] of config.components.receiver) {
      if (this.pipelinesWith("receivers", id).length === 0) continue;
      const targets = this.feeds(id);
      const kept = this.deps.carry?.receivers.get(id);
      if (kept) {
        // Keeps feeding the old graph until the reload calls connectReceivers().
        this.carried.add(kept.instance);
        this.receivers.set(id, kept.instance);
        this.inputs.set(id, { input: kept.input, targets });
        continue;
      }
      const input = new SwitchableConsumers(Object.keys(targets) as Signal[], targets);
      const factory = receiver.factory as ReceiverFactory;
      this.receivers.set(
        id,
        factory.create(this.context("receiver", receiver), receiver.config, input.consumers),
      );
      this.inputs.set(id, { input, targets });
    }
  }

  /** Points every receiver, carried ones included, at this graph's pipelines. */
  connectReceivers(): void {
    for (const { input, targets } of this.inputs.values()) input.resume(targets);
  }

  /** The running instances, for a reload to choose which to carry over. */
  instances(): CarriedOver {
    const receivers = new Map<string, ReceiverEntry>();
    for (const [id, instance] of this.receivers) {
      receivers.set(id, { instance, input: this.inputs.get(id)!.input });
    }
    const pipelines = new Map<string, PipelineChain>();
    for (const [id, head] of this.heads) {
      pipelines.set(id, { processors: this.processors.get(id) ?? [], head });
    }
    return { exporters: this.exporters, connectors: this.connectors, pipelines, receivers };
  }

  /** The head of a pipeline, for `tripline test` to inject data past the receivers. */
  pipelineInput(id: string): Consumer<unknown> | undefined {
    return this.heads.get(id)?.consumer;
  }

  /**
   * What receiver `id` feeds, behind its switchable input: `tripline test` injects here so a
   * shutdown does not wait for the injected call (which itself waits for the flush) to finish.
   */
  receiverInput(id: string): SignalConsumers | undefined {
    return this.inputs.get(id)?.targets;
  }

  /** Start order: exporters, connectors, processors (downstream first), receivers. */
  private startOrder(): Running[] {
    const order: Running[] = [];
    for (const [id, instance] of this.exporters) order.push({ kind: "exporter", id, instance });
    for (const [id, instance] of this.connectors) order.push({ kind: "connector", id, instance });
    for (const pipelineId of [...this.deps.plan.order].reverse()) {
      for (const p of [...(this.processors.get(pipelineId) ?? [])].reverse()) {
        order.push({
          kind: "processor",
          id: `${p.id} (pipeline ${pipelineId})`,
          instance: p.instance,
        });
      }
    }
    for (const [id, instance] of this.receivers) order.push({ kind: "receiver", id, instance });
    return order;
  }

  async start(host: Host): Promise<void> {
    for (const component of this.startOrder()) {
      if (this.carried.has(component.instance)) {
        this.started.push(component);
        continue;
      }
      try {
        await component.instance.start(host);
        this.started.push(component);
      } catch (error) {
        await this.shutdown();
        throw new Error(
          `failed to start ${component.kind} "${component.id}": ${errorMessage(error)}`,
          { cause: error },
        );
      }
    }
  }

  /**
   * Stops in reverse: receivers stop taking data and finish their requests, then each
   * pipeline's processors flush (feeders before the pipelines they feed, each connector once
   * every pipeline feeding it has flushed), and exporters drain last. `deadline` is passed to
   * every component (exporters stop draining when it aborts); `keep` is left running.
   */
  async shutdown(deadline?: AbortSignal, options: ShutdownOptions = {}): Promise<void> {
    const running = new Set(this.started.map((c) => c.instance));
    for (const instance of options.keep ?? []) running.delete(instance);
    const stop = async (kind: Kind, id: string, instance: Lifecycle) => {
      if (!running.delete(instance)) return;
      try {
        await instance.shutdown(deadline);
      } catch (error) {
        this.deps.logger.error(
          { kind, component: id, err: errorMessage(error) },
          "shutdown failed",
        );
      }
    };
    for (const [id, r] of this.receivers) await stop("receiver", id, r);
    // Receivers a reload keeps are paused, not stopped: their calls under way must finish
    // against this graph before it flushes.
    await Promise.all([...this.inputs.values()].map(({ input }) => input.idle()));
    const feedersLeft = new Map<string, number>();
    for (const id of this.connectors.keys())
      feedersLeft.set(id, this.pipelinesWith("exporters", id).length);
    for (const pipelineId of this.deps.plan.order) {
      for (const p of this.processors.get(pipelineId) ?? [])
        await stop("processor", p.id, p.instance);
      const pipeline = this.deps.plan.pipelines.find((p) => p.id === pipelineId)!;
      for (const id of pipeline.exporters) {
        const connector = this.connectors.get(id);
        if (!connector) continue;
        const left = (feedersLeft.get(id) ?? 1) - 1;
        feedersLeft.set(id, left);
        if (left === 0) await stop("connector", id, connector);
      }
    }
    await Promise.all([...this.exporters].map(([id, e]) => stop("exporter", id, e)));
    this.started = [];
  }
}
