import { z } from "zod";
import type { AnyFactory, Kind } from "../component/component.js";
import type { Registry } from "../component/registry.js";
import type { Diagnostic, PathSegment, SourceLocation } from "./diagnostic.js";
import { duration } from "./duration.js";
import { issuesToDiagnostics, locate } from "./issues.js";
import { type LocationMap, pathKey } from "./source.js";
import { didYouMean } from "./suggest.js";
import { type TelemetryConfig, telemetryConfigSchema } from "./telemetry.js";

export interface ComponentConfig {
  id: string;
  type: string;
  kind: Kind;
  factory: AnyFactory;
  config: unknown;
  /** Where the component's key is written, for graph errors and warnings. */
  location?: SourceLocation;
}

export interface PipelineConfig {
  id: string;
  /** The pipeline ID's type part, e.g. "logs" for "logs/alerts"; checked by the graph. */
  signal: string;
  receivers: string[];
  processors: string[];
  exporters: string[];
}

export interface TriplineConfig {
  components: Record<Kind, Map<string, ComponentConfig>>;
  pipelines: Map<string, PipelineConfig>;
  service: { telemetry: TelemetryConfig; shutdownTimeoutMs: number };
  locations: LocationMap;
}

export const SECTIONS = {
  receivers: "receiver",
  processors: "processor",
  exporters: "exporter",
  connectors: "connector",
} as const satisfies Record<string, Kind>;

const idList = z.array(z.string().min(1)).default([]);
const pipelineSchema = z
  .strictObject({ receivers: idList, processors: idList, exporters: idList })
  .nullable()
  .transform((p) => p ?? { receivers: [], processors: [], exporters: [] });

const serviceSchema = z.strictObject({
  pipelines: z.record(z.string(), pipelineSchema),
  telemetry: telemetryConfigSchema,
  extensions: z.array(z.string()).default([]),
  shutdown_timeout: duration
    .default(30_000)
    .describe("how long a graceful stop may take to drain in-flight data"),
});

const topLevelKeys = [...Object.keys(SECTIONS), "extensions", "service"];
const ID_PATTERN = /^([a-z][a-z0-9_]*)(?:\/([^/\s]+))?$/;

export function parseComponentId(id: string): { type: string; name?: string } | undefined {
  const match = ID_PATTERN.exec(id);
  if (!match) return undefined;
  return { type: match[1]!, ...(match[2] ? { name: match[2] } : {}) };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks the merged config against the top-level shape and every component's own schema. */
export function validateConfig(
  raw: Record<string, unknown>,
  locations: LocationMap,
  registry: Registry,
): { config?: TriplineConfig; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const error = (path: PathSegment[], message: string, location = locate(locations, path)) =>
    diagnostics.push({ severity: "error", location, path, message });

  for (const key of Object.keys(raw)) {
    if (!topLevelKeys.includes(key)) {
      error(
        [key],
        `unknown top-level key "${key}"${didYouMean(key, topLevelKeys)}`,
        locations.keys.get(pathKey([key])),
      );
    }
  }

  const components = {} as Record<Kind, Map<string, ComponentConfig>>;
  for (const [section, kind] of Object.entries(SECTIONS)) {
    components[kind] = new Map();
    const entries = raw[section];
    if (entries === undefined || entries === null) continue;
    if (!isMapping(entries)) {
      error([section], `expected a mapping of ${kind} IDs to their settings`);
      continue;
    }
    for (const [id, settings] of Object.entries(entries)) {
      const path = [section, id];
      const keyLocation = locations.keys.get(pathKey(path));
      const parsed = parseComponentId(id);
      if (!parsed) {
        error(
          path,
          `invalid ${kind} ID "${id}" (expected "type" or "type/name", type in lower_snake_case)`,
          keyLocation,
        );
        continue;
      }
      const factory = registry.get(kind, parsed.type);
      if (!factory) {
        const elsewhere = registry.kindsOf(parsed.type);
        const valid = registry.types(kind);
        // A near miss of this kind and an exact type of another kind can both be what was meant.
        const nearMiss = didYouMean(parsed.type, valid);
        const misplaced = elsewhere.length
          ? `"${parsed.type}" is a ${elsewhere.join(" and a ")}, so it belongs under ${elsewhere.map((k) => `${k}s`).join(" or ")}`
          : "";
        const hint =
          nearMiss && misplaced
            ? `${nearMiss.slice(0, -1)} ${misplaced})`
            : misplaced
              ? ` (${misplaced})`
              : nearMiss;
        const list = valid.length
          ? `; valid types: ${valid.join(", ")}`
          : ` (Tripline has no ${kind}s yet)`;
        error(path, `unknown ${kind} type "${parsed.type}"${hint}${list}`, keyLocation);
        continue;
      }
      const result = factory.configSchema.safeParse(settings ?? {}, { reportInput: true });
      if (!result.success) {
        diagnostics.push(
          ...issuesToDiagnostics(result.error.issues, path, factory.configSchema, locations),
        );
        continue;
      }
      components[kind].set(id, {
        id,
        type: parsed.type,
        kind,
        factory,
        config: result.data,
        location: keyLocation,
      });
    }
  }

  // Extensions are accepted for Collector compatibility of the shape; none ship yet.
  if (isMapping(raw.extensions) && Object.keys(raw.extensions).length > 0) {
    for (const id of Object.keys(raw.extensions)) {
      error(
        ["extensions", id],
        `unknown extension type "${id}" (Tripline has no extensions yet)`,
        locations.keys.get(pathKey(["extensions", id])),
      );
    }
  }

  if (raw.service === undefined) {
    error([], 'missing "service" section: add service.pipelines with at least one pipeline');
    return { diagnostics };
  }
  const service = serviceSchema.safeParse(raw.service, { reportInput: true });
  if (!service.success) {
    diagnostics.push(
      ...issuesToDiagnostics(service.error.issues, ["service"], serviceSchema, locations),
    );
    return { diagnostics };
  }

  const pipelines = new Map<string, PipelineConfig>();
  for (const [id, p] of Object.entries(service.data.pipelines)) {
    pipelines.set(id, { id, signal: id.split("/")[0] ?? id, ...p });
  }
  if (diagnostics.some((d) => d.severity === "error")) return { diagnostics };
  return {
    config: {
      components,
      pipelines,
      service: {
        telemetry: service.data.telemetry,
        shutdownTimeoutMs: service.data.shutdown_timeout,
      },
      locations,
    },
    diagnostics,
  };
}
