import { existsSync, writeFileSync } from "node:fs";
import { formatDiagnostic } from "../config/diagnostic.js";
import { toJUnit } from "../testing/junit.js";
import { loadTests, runTest, type TestResult } from "../testing/runner.js";
import { checkConfig } from "./validate.js";

/** `a/b.yaml` → `a/b.test.yaml`: tests live next to the config they test. */
export function defaultTestFiles(configFiles: string[]): string[] {
  return configFiles.map((f) => f.replace(/\.ya?ml$/, ".test.yaml")).filter((f) => existsSync(f));
}

export async function testCommand(
  configFiles: string[],
  options: { tests?: string[]; junit?: string },
): Promise<number> {
  const checked = checkConfig(configFiles);
  if (!checked.config || !checked.plan) {
    for (const d of checked.diagnostics) console.error(formatDiagnostic(d));
    return 1;
  }
  const files = options.tests?.length ? options.tests : defaultTestFiles(configFiles);
  if (files.length === 0) {
    console.error(
      `no tests found: pass -t FILE, or put them in ${configFiles.map((f) => f.replace(/\.ya?ml$/, ".test.yaml")).join(", ")}`,
    );
    return 1;
  }
  const results: TestResult[] = [];
  let invalid = false;
  for (const file of files) {
    const { tests, diagnostics } = loadTests(file);
    for (const d of diagnostics) console.error(formatDiagnostic(d));
    if (diagnostics.some((d) => d.severity === "error")) {
      invalid = true;
      continue;
    }
    for (const test of tests) {
      const result = await runTest(test, file, checked.config, checked.plan, checked.configDir);
      results.push(result);
      if (result.failures.length === 0) console.log(`✓ ${test.name}`);
      else console.log(`✗ ${test.name}\n    ${result.failures.join("\n    ")}`);
    }
  }
  const failed = results.filter((r) => r.failures.length > 0).length;
  console.log(`\n${results.length - failed} passed, ${failed} failed`);
  if (options.junit) writeFileSync(options.junit, toJUnit(results));
  return failed > 0 || invalid ? 1 : 0;
}
