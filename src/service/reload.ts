import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import type { Connector, Exporter, Host, Kind, Lifecycle } from "../component/component.js";
import { errorMessage } from "../component/errors.js";
import { type Diagnostic, formatDiagnostic } from "../config/diagnostic.js";
import type { TriplineConfig } from "../config/validate.js";
import type { Telemetry } from "../telemetry/telemetry.js";
import type { GraphPlan, PipelinePlan } from "./graph.js";
import { type CarriedOver, type PipelineChain, type ReceiverEntry, Service } from "./service.js";

/** A config that passed validation and graph checks, with the folder its paths resolve against. */
export interface CheckedGraph {
  config: TriplineConfig;
  plan: GraphPlan;
  configDir: string;
}

/** A running graph and the config it was built from. */
export interface RunningGraph extends CheckedGraph {
  service: Service;
}

/** What a reload did to each component (processors as `id (pipeline P)`), for the log. */
export interface ReloadSummary {
  added: string[];
  removed: string[];
  restarted: string[];
  kept: string[];
}

const signalsOf = (pipelines: PipelinePlan[]): string[] =>
  [...new Set(pipelines.map((p) => p.signal))].sort();
const ids = (pipelines: PipelinePlan[]) => pipelines.map((p) => p.id).sort();

/**
 * Decides which running instances a new config can keep. A component is kept when its validated
 * config is deep-equal and everything it was wired to at creation is the same:
 * - an exporter: the signals it is sent;
 * - a pipeline (its processor instances): the same signal, processor list and configs, and every
 *   exporter or connector it feeds is kept;
 * - a connector: the same pipelines on both sides, each pipeline it feeds kept;
 * - a receiver: the signals it feeds (what it feeds is swapped underneath it, see
 *   SwitchableConsumers).
 * A changed folder for relative paths restarts everything.
 */
export function planCarryOver(
  old: RunningGraph,
  next: CheckedGraph,
): { carry: CarriedOver; summary: ReloadSummary } {
  const running = old.service.instances();
  const sameDir = old.configDir === next.configDir;
  const sameConfig = (kind: Kind, id: string) => {
    const a = old.config.components[kind].get(id);
    const b = next.config.components[kind].get(id);
    return sameDir && !!a && !!b && a.type === b.type && isDeepStrictEqual(a.config, b.config);
  };
  const using = (plan: GraphPlan, role: "receivers" | "exporters", id: string) =>
    plan.pipelines.filter((p) => p[role].includes(id));

  const exporters = new Map<string, Exporter>();
  const connectors = new Map<string, Connector>();
  const pipelines = new Map<string, PipelineChain>();
  const receivers = new Map<string, ReceiverEntry>();
  const decided = new Map<string, boolean>();

  const keepExporter = (id: string): boolean => {
    const instance = running.exporters.get(id);
    const keep =
      !!instance &&
      sameConfig("exporter", id) &&
      isDeepStrictEqual(
        signalsOf(using(old.plan, "exporters", id)),
        signalsOf(using(next.plan, "exporters", id)),
      );
    if (keep) exporters.set(id, instance);
    return keep;
  };
  const keepConnector = (id: string): boolean => {
    const key = `connector:${id}`;
    if (decided.has(key)) return decided.get(key)!;
    const instance = running.connectors.get(id);
    const feeds = using(next.plan, "receivers", id);
    const keep =
      !!instance &&
      sameConfig("connector", id) &&
      isDeepStrictEqual(
        ids(using(old.plan, "exporters", id)),
        ids(using(next.plan, "exporters", id)),
      ) &&
      isDeepStrictEqual(ids(using(old.plan, "receivers", id)), ids(feeds)) &&
      feeds.every((p) => keepPipeline(p));
    decided.set(key, keep);
    if (keep) connectors.set(id, instance);
    return keep;
  };
  const keepPipeline = (pipeline: PipelinePlan): boolean => {
    const key = `pipeline:${pipeline.id}`;
    if (decided.has(key)) return decided.get(key)!;
    const before = old.plan.pipelines.find((p) => p.id === pipeline.id);
    const chain = running.pipelines.get(pipeline.id);
    // Every exporter is checked (not just until one fails) so each gets its own decision.
    const targets = pipeline.exporters.map((id) =>
      next.config.components.connector.has(id) ? keepConnector(id) : keepExporter(id),
    );
    const keep =
      !!before &&
      !!chain &&
      before.signal === pipeline.signal &&
      isDeepStrictEqual(before.processors, pipeline.processors) &&
      isDeepStrictEqual(before.exporters, pipeline.exporters) &&
      pipeline.processors.every((id) => sameConfig("processor", id)) &&
      targets.every(Boolean);
    decided.set(key, keep);
    if (keep) pipelines.set(pipeline.id, chain);
    return keep;
  };

  for (const id of [...next.plan.order].reverse()) {
    keepPipeline(next.plan.pipelines.find((p) => p.id === id)!);
  }
  for (const [id, entry] of running.receivers) {
    const fed = using(next.plan, "receivers", id);
    if (fed.length === 0 || !sameConfig("receiver", id)) continue;
    if (isDeepStrictEqual(signalsOf(using(old.plan, "receivers", id)), signalsOf(fed))) {
      receivers.set(id, entry);
    }
  }

  const summary: ReloadSummary = { added: [], removed: [], restarted: [], kept: [] };
  const classify = (name: string, before: boolean, after: boolean, kept: boolean) => {
    if (!before) summary.added.push(name);
    else if (!after) summary.removed.push(name);
    else summary[kept ? "kept" : "restarted"].push(name);
  };
  const both = (a: Iterable<string>, b: Iterable<string>) => [...new Set([...a, ...b])].sort();
  for (const id of both(running.receivers.keys(), receiverIds(next.plan))) {
    classify(
      `receiver ${id}`,
      running.receivers.has(id),
      receiverIds(next.plan).has(id),
      receivers.has(id),
    );
  }
  const nextExporters = new Set(next.plan.pipelines.flatMap((p) => p.exporters));
  for (const id of both(
    running.exporters.keys(),
    [...nextExporters].filter((e) => next.config.components.exporter.has(e)),
  )) {
    classify(
      `exporter ${id}`,
      running.exporters.has(id),
      nextExporters.has(id) && next.config.components.exporter.has(id),
      exporters.has(id),
    );
  }
  for (const id of both(
    running.connectors.keys(),
    [...nextExporters].filter((e) => next.config.components.connector.has(e)),
  )) {
    classify(
      `connector ${id}`,
      running.connectors.has(id),
      nextExporters.has(id) && next.config.components.connector.has(id),
      connectors.has(id),
    );
  }
  const processorNames = (plan: GraphPlan) =>
    plan.pipelines.flatMap((p) => p.processors.map((id) => `processor ${id} (pipeline ${p.id})`));
  const oldProcessors = new Set(processorNames(old.plan));
  const nextProcessors = new Set(processorNames(next.plan));
  const keptProcessors = new Set(
    next.plan.pipelines
      .filter((p) => pipelines.has(p.id))
      .flatMap((p) => p.processors.map((id) => `processor ${id} (pipeline ${p.id})`)),
  );
  for (const name of both(oldProcessors, nextProcessors)) {
    classify(name, oldProcessors.has(name), nextProcessors.has(name), keptProcessors.has(name));
  }
  return { carry: { exporters, connectors, pipelines, receivers }, summary };
}

function receiverIds(plan: GraphPlan): Set<string> {
  return new Set(plan.pipelines.flatMap((p) => p.receivers));
}

export interface ReloaderOptions {
  /** Loads and checks the config files again (validation, references, graph). */
  load: () => { checked?: CheckedGraph; diagnostics: Diagnostic[] };
  initial: RunningGraph;
  logger: Logger;
  telemetry: Telemetry;
  host: Host;
  /** An AbortSignal that fires when draining the replaced components must stop. */
  deadline: (config: TriplineConfig) => { signal: AbortSignal; dispose: () => void };
}

export type ReloadOutcome = "reloaded" | "unchanged" | "invalid" | "failed";

/**
 * Applies a new config to the running gateway. Reloads run one at a time; requests arriving
 * during one are merged into a single follow-up reload.
 */
export class Reloader {
  private graph: RunningGraph;
  private running: Promise<ReloadOutcome> | undefined;
  private queued: Promise<ReloadOutcome> | undefined;

  constructor(private readonly options: ReloaderOptions) {
    this.graph = options.initial;
  }

  /** The graph currently serving. */
  get current(): RunningGraph {
    return this.graph;
  }

  /** Reloads now, or after the reload under way (several requests meanwhile make one). */
  reload(reason: string): Promise<ReloadOutcome> {
    if (!this.running) {
      this.running = this.apply(reason).finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.queued ??= this.running.then(() => {
      this.queued = undefined;
      return this.reload(reason);
    });
    return this.queued;
  }

  /** Waits for a reload under way, so shutdown never races one. */
  async settled(): Promise<void> {
    while (this.running || this.queued) await (this.queued ?? this.running);
  }

  private async apply(reason: string): Promise<ReloadOutcome> {
    const { logger } = this.options;
    logger.info({ reason }, "reloading configuration");
    const { checked, diagnostics } = this.options.load();
    const errors = diagnostics.filter((d) => d.severity === "error");
    if (!checked || errors.length > 0) {
      for (const d of diagnostics) {
        logger[d.severity === "error" ? "error" : "warn"](
          { diagnostic: formatDiagnostic(d) },
          "invalid configuration",
        );
      }
      logger.error(
        { errors: errors.length },
        "configuration reload rejected: the running configuration is unchanged",
      );
      return "invalid";
    }
    for (const d of diagnostics) logger.warn(formatDiagnostic(d));
    const old = this.graph;
    if (!isDeepStrictEqual(old.config.service.telemetry, checked.config.service.telemetry)) {
      logger.warn("service.telemetry changes take effect at the next start, not on reload");
    }
    const { carry, summary } = planCarryOver(old, checked);
    const changed = summary.added.length + summary.removed.length + summary.restarted.length;
    if (changed === 0 && isDeepStrictEqual(old.plan, checked.plan)) {
      this.graph = { ...checked, service: old.service };
      logger.info("configuration reloaded: no component changed");
      return "unchanged";
    }

    let next: Service;
    try {
      next = new Service({
        config: checked.config,
        plan: checked.plan,
        logger,
        telemetry: this.options.telemetry,
        configDir: checked.configDir,
        carry,
      });
    } catch (error) {
      logger.error(
        { err: errorMessage(error) },
        "configuration reload failed while building the new graph: the running configuration is unchanged",
      );
      return "invalid";
    }

    // From here the old graph is taken down: kept receivers hold new calls, the rest of the old
    // graph flushes and drains into its own exporters, then the new graph starts.
    for (const entry of carry.receivers.values()) entry.input.pause();
    const keep = new Set<Lifecycle>([
      ...carry.exporters.values(),
      ...carry.connectors.values(),
      ...[...carry.pipelines.values()].flatMap((c) => c.processors.map((p) => p.instance)),
      ...[...carry.receivers.values()].map((r) => r.instance),
    ]);
    const deadline = this.options.deadline(old.config);
    try {
      await old.service.shutdown(deadline.signal, { keep });
    } finally {
      deadline.dispose();
    }
    this.graph = { ...checked, service: next };
    try {
      await next.start(this.options.host);
    } catch (error) {
      // The old graph is gone and the new one cannot run: like a failed start, this is fatal.
      next.connectReceivers();
      logger.error({ err: errorMessage(error), ...summary }, "configuration reload failed");
      this.options.host.reportFatal("service", error as Error);
      return "failed";
    }
    next.connectReceivers();
    logger.info(summary, "configuration reloaded");
    return "reloaded";
  }
}
