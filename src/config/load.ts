import { resolve } from "node:path";
import type { Registry } from "../component/registry.js";
import { ConfigError, type Diagnostic } from "./diagnostic.js";
import { mergeLocations, mergeValues } from "./merge.js";
import { emptyLocations, loadSource, pathKey } from "./source.js";
import { type TriplineConfig, validateConfig } from "./validate.js";

export interface LoadResult {
  config?: TriplineConfig;
  diagnostics: Diagnostic[];
  /** The directory relative paths in the config resolve against: the first file's. */
  configDir: string;
}

/** Loads, expands, merges (in order) and validates config files. Reports every error found. */
export function loadConfig(
  files: readonly string[],
  registry: Registry,
  env = process.env,
): LoadResult {
  const diagnostics: Diagnostic[] = [];
  const locations = emptyLocations();
  let merged: Record<string, unknown> = {};
  for (const file of files) {
    const source = loadSource(file, env);
    diagnostics.push(...source.diagnostics);
    merged = mergeValues(merged, source.value) as Record<string, unknown>;
    mergeLocations(locations, source.locations);
  }
  const configDir = resolve(files[0] ? resolve(files[0], "..") : ".");
  if (files.length === 0) {
    diagnostics.push({
      severity: "error",
      path: [],
      message: "no config file given (use -c FILE or TRIPLINE_CONFIG)",
    });
  }
  // Unreadable files or broken YAML leave nothing meaningful to validate; a bad reference does
  // not, so schema errors are still reported alongside it (except on the same key).
  if (diagnostics.some((d) => d.path.length === 0)) return { diagnostics, configDir };
  const validated = validateConfig(merged, locations, registry);
  const reported = new Set(diagnostics.map((d) => pathKey(d.path)));
  const fresh = validated.diagnostics.filter((d) => !reported.has(pathKey(d.path)));
  // In file order, then line and column, so the output reads top to bottom.
  const all = sortByLocation([...diagnostics, ...fresh], files);
  const failed = all.some((d) => d.severity === "error");
  return { config: failed ? undefined : validated.config, diagnostics: all, configDir };
}

function sortByLocation(diagnostics: Diagnostic[], files: readonly string[]): Diagnostic[] {
  const rank = (d: Diagnostic) =>
    d.location ? [files.indexOf(d.location.file), d.location.line, d.location.col] : [-1, 0, 0];
  return diagnostics
    .map((d) => ({ d, key: rank(d) }))
    .sort((a, b) => a.key[0]! - b.key[0]! || a.key[1]! - b.key[1]! || a.key[2]! - b.key[2]!)
    .map(({ d }) => d);
}

export function loadConfigOrThrow(files: readonly string[], registry: Registry, env = process.env) {
  const result = loadConfig(files, registry, env);
  if (!result.config) throw new ConfigError(result.diagnostics);
  return { ...result, config: result.config };
}
