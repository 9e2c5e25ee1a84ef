import type { Kind } from "../component/component.js";
import type { Diagnostic, PathSegment } from "../config/diagnostic.js";
import { locate } from "../config/issues.js";
import { pathKey } from "../config/source.js";
import { closest, didYouMean } from "../config/suggest.js";
import type { ComponentConfig, PipelineConfig, TriplineConfig } from "../config/validate.js";
import { SIGNALS, type Signal } from "../pdata/signal.js";

export interface PipelinePlan {
  id: string;
  signal: Signal;
  receivers: string[];
  processors: string[];
  exporters: string[];
}

/** The checked shape of the service: every reference resolved, signals matched, no cycles. */
export interface GraphPlan {
  pipelines: PipelinePlan[];
  /** Pipelines in an order where a pipeline comes after every pipeline that feeds it. */
  order: string[];
}

const ROLE_KIND = {
  receivers: "receiver",
  processors: "processor",
  exporters: "exporter",
} as const;

function isSignal(value: string): value is Signal {
  return (SIGNALS as readonly string[]).includes(value);
}

/** Validates the pipelines of a config against its components. Warnings do not fail it. */
export function planGraph(config: TriplineConfig): { plan?: GraphPlan; diagnostics: Diagnostic[] } {
  const { components, locations } = config;
  const diagnostics: Diagnostic[] = [];
  // A problem with a named entry (a pipeline, a connector) points at its key.
  const problem = (severity: Diagnostic["severity"], path: PathSegment[], message: string) =>
    diagnostics.push({
      severity,
      location: locations.keys.get(pathKey(path)) ?? locate(locations, path),
      path,
      message,
    });
  const error = (path: PathSegment[], message: string) => problem("error", path, message);
  // An ID written as ${env:…} is named by its reference: expanded values are never printed.
  const reference = (path: PathSegment[]) => locations.values.get(pathKey(path))?.reference;

  if (config.pipelines.size === 0) {
    error(
      ["service", "pipelines"],
      "at least one pipeline is required (e.g. logs: {receivers: [...], exporters: [...]})",
    );
  }

  const used = new Set<string>();
  const connectorIn = new Map<string, Set<Signal>>(); // connector → signals it is fed (as exporter)
  const connectorOut = new Map<string, Set<Signal>>(); // connector → signals it feeds (as receiver)
  const pipelines: PipelinePlan[] = [];

  const resolve = (
    pipeline: PipelineConfig,
    signal: Signal,
    role: "receivers" | "processors" | "exporters",
  ): string[] => {
    const kind = ROLE_KIND[role];
    const seen = new Set<string>();
    for (const [index, id] of pipeline[role].entries()) {
      const path = ["service", "pipelines", pipeline.id, role, index];
      const ref = reference(path);
      const name = ref ? `the value of ${ref}` : `"${id}"`;
      if (seen.has(id)) {
        error(path, `${kind} ${name} is listed twice in pipeline "${pipeline.id}"`);
        continue;
      }
      seen.add(id);
      const own = components[kind].get(id);
      const connector = kind === "processor" ? undefined : components.connector.get(id);
      if (own && connector) {
        error(
          path,
          `ambiguous ID ${name}: both ${kind === "exporter" ? "an" : "a"} ${kind} and a connector have it; rename one (e.g. "${connector.type}/connector")`,
        );
        continue;
      }
      const component: ComponentConfig | undefined = own ?? connector;
      if (!component) {
        const known = [
          ...components[kind].keys(),
          ...(kind === "processor" ? [] : components.connector.keys()),
        ];
        error(
          path,
          `references ${kind} ${name} which is not configured${ref ? "" : didYouMean(id, known)}`,
        );
        continue;
      }
      used.add(`${component.kind}:${id}`);
      if (component.kind === "connector") {
        const side = role === "exporters" ? connectorIn : connectorOut;
        side.set(id, (side.get(id) ?? new Set()).add(signal));
        continue;
      }
      const supported = (component.factory as { signals: readonly Signal[] }).signals;
      if (!supported.includes(signal)) {
        error(
          path,
          `${kind} ${name} does not support ${signal} (it supports: ${supported.join(", ")})`,
        );
      }
    }
    return pipeline[role];
  };

  for (const pipeline of config.pipelines.values()) {
    const path = ["service", "pipelines", pipeline.id];
    const [signal, name, ...extra] = pipeline.id.split("/");
    if (!signal || !isSignal(signal) || name === "" || extra.length > 0) {
      const match = signal && !isSignal(signal) ? closest(signal, SIGNALS) : undefined;
      const hint =
        signal === "traces"
          ? "; Tripline carries logs and metrics, not traces"
          : match
            ? ` (did you mean "${[match, name, ...extra].filter((part) => part !== undefined).join("/")}"?)`
            : "";
      error(
        path,
        `invalid pipeline ID "${pipeline.id}": expected "logs", "metrics", "logs/NAME" or "metrics/NAME"${hint}`,
      );
      // Its components are not checked further, but they are not "unused" either.
      for (const role of ["receivers", "processors", "exporters"] as const) {
        const kind = ROLE_KIND[role];
        for (const id of pipeline[role]) {
          if (components[kind].has(id)) used.add(`${kind}:${id}`);
          else if (kind !== "processor" && components.connector.has(id))
            used.add(`connector:${id}`);
        }
      }
      continue;
    }
    if (pipeline.receivers.length === 0) error(path, "must have at least one receiver");
    if (pipeline.exporters.length === 0) error(path, "must have at least one exporter");
    pipelines.push({
      id: pipeline.id,
      signal,
      receivers: resolve(pipeline, signal, "receivers"),
      processors: resolve(pipeline, signal, "processors"),
      exporters: resolve(pipeline, signal, "exporters"),
    });
  }

  for (const [id, connector] of components.connector) {
    const path = ["connectors", id];
    const ins = connectorIn.get(id);
    const outs = connectorOut.get(id);
    if (!ins && !outs) continue;
    if (!ins || !outs) {
      error(
        path,
        `connector "${id}" is used as ${ins ? "an exporter" : "a receiver"} but not as ${ins ? "a receiver" : "an exporter"} in any pipeline`,
      );
      continue;
    }
    const routes = (connector.factory as { routes: readonly (readonly [Signal, Signal])[] }).routes;
    for (const from of ins) {
      for (const to of outs) {
        if (!routes.some(([a, b]) => a === from && b === to)) {
          error(
            path,
            `connector "${id}" cannot connect ${from} to ${to} (it supports: ${routes.map(([a, b]) => `${a} → ${b}`).join(", ")})`,
          );
        }
      }
    }
  }

  const order = orderPipelines(pipelines, components.connector, (cycle) =>
    error(["service", "pipelines"], `cycle detected: ${cycle.join(" → ")}`),
  );

  for (const [kind, entries] of Object.entries(components) as [
    Kind,
    Map<string, ComponentConfig>,
  ][]) {
    for (const id of entries.keys()) {
      if (!used.has(`${kind}:${id}`)) {
        diagnostics.push({
          severity: "warning",
          location: locations.keys.get(pathKey([`${kind}s`, id])),
          path: [`${kind}s`, id],
          message: `${kind} "${id}" is configured but not used in any pipeline`,
        });
      }
    }
  }

  if (diagnostics.some((d) => d.severity === "error")) return { diagnostics };
  return { plan: { pipelines, order }, diagnostics };
}

/**
 * Depth-first order of the pipeline graph (an edge runs from the pipeline that exports to a
 * connector to each pipeline that receives from it). Reports each cycle it meets.
 */
function orderPipelines(
  pipelines: PipelinePlan[],
  connectors: Map<string, ComponentConfig>,
  onCycle: (cycle: string[]) => void,
): string[] {
  const byId = new Map(pipelines.map((p) => [p.id, p]));
  const edges = new Map<string, { via: string; to: string }[]>();
  for (const from of pipelines) {
    const list: { via: string; to: string }[] = [];
    for (const via of from.exporters.filter((id) => connectors.has(id))) {
      for (const to of pipelines.filter((p) => p.receivers.includes(via)))
        list.push({ via, to: to.id });
    }
    edges.set(from.id, list);
  }
  const state = new Map<string, "visiting" | "done">();
  const order: string[] = [];
  const trail: string[] = [];
  const visit = (id: string) => {
    if (state.get(id) === "done") return;
    if (state.get(id) === "visiting") {
      const start = trail.indexOf(`pipeline "${id}"`);
      onCycle([...trail.slice(start), `pipeline "${id}"`]);
      return;
    }
    state.set(id, "visiting");
    trail.push(`pipeline "${id}"`);
    for (const { via, to } of edges.get(id) ?? []) {
      trail.push(`connector "${via}"`);
      visit(to);
      trail.pop();
    }
    trail.pop();
    state.set(id, "done");
    order.push(id);
  };
  for (const id of byId.keys()) visit(id);
  // Post-order puts downstream pipelines first; reverse so feeders come first.
  return order.reverse();
}
