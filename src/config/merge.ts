import type { LocationMap } from "./source.js";

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Merges config files like the Collector's `--config a --config b`: mappings merge key by key,
 * anything else (scalars, lists) is replaced by the later file.
 */
export function mergeValues(base: unknown, override: unknown): unknown {
  if (!isMapping(base) || !isMapping(override)) return override;
  const out: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(base)) out[k] = v;
  for (const [k, v] of Object.entries(override)) out[k] = k in out ? mergeValues(out[k], v) : v;
  return out;
}

/** Later files win for the locations they define, matching the merged values. */
export function mergeLocations(into: LocationMap, from: LocationMap): void {
  for (const [k, v] of from.values) into.values.set(k, v);
  for (const [k, v] of from.keys) into.keys.set(k, v);
}
