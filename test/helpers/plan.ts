import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Registry } from "../../src/component/registry.js";
import { loadConfig } from "../../src/config/load.js";
import type { TriplineConfig } from "../../src/config/validate.js";
import { type GraphPlan, planGraph } from "../../src/service/graph.js";

/**
 * Writes `yaml` to a fresh folder, loads it against `registry` and plans the graph; throws with
 * every diagnostic when either step fails, so a test sees why its config is wrong.
 */
export function planYaml(
  yaml: string,
  registry: Registry,
): { config: TriplineConfig; plan: GraphPlan; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "tripline-plan-"));
  const file = join(dir, "c.yaml");
  writeFileSync(file, yaml);
  const loaded = loadConfig([file], registry, {});
  if (!loaded.config) throw new Error(loaded.diagnostics.map((d) => d.message).join("\n"));
  const { plan, diagnostics } = planGraph(loaded.config);
  if (!plan) throw new Error(diagnostics.map((d) => d.message).join("\n"));
  return { config: loaded.config, plan, dir };
}
