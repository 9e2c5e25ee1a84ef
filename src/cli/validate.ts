import { registry } from "../components.js";
import { type Diagnostic, formatDiagnostic } from "../config/diagnostic.js";
import { loadConfig } from "../config/load.js";
import type { TriplineConfig } from "../config/validate.js";
import { type GraphPlan, planGraph } from "../service/graph.js";

export interface CheckedConfig {
  config?: TriplineConfig;
  plan?: GraphPlan;
  configDir: string;
  diagnostics: Diagnostic[];
}

/** Everything `tripline validate` checks: files, references, schemas and the pipeline graph. */
export function checkConfig(files: string[], env = process.env): CheckedConfig {
  const loaded = loadConfig(files, registry, env);
  if (!loaded.config) return { configDir: loaded.configDir, diagnostics: loaded.diagnostics };
  const graph = planGraph(loaded.config);
  return {
    config: loaded.config,
    plan: graph.plan,
    configDir: loaded.configDir,
    diagnostics: [...loaded.diagnostics, ...graph.diagnostics],
  };
}

export function validateCommand(files: string[]): number {
  const checked = checkConfig(files);
  for (const d of checked.diagnostics) console.error(formatDiagnostic(d));
  const errors = checked.diagnostics.filter((d) => d.severity === "error").length;
  if (errors > 0 || !checked.plan) {
    console.error(`${errors} error${errors === 1 ? "" : "s"} in ${files.join(", ")}`);
    return 1;
  }
  console.log(
    `${files.join(", ")}: valid (${checked.plan.pipelines.length} pipeline${checked.plan.pipelines.length === 1 ? "" : "s"})`,
  );
  return 0;
}
