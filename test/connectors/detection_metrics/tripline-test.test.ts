import { join } from "node:path";
import { expect, it } from "vitest";
import { checkConfig } from "../../../src/cli/validate.js";
import { loadTests, runTest } from "../../../src/testing/runner.js";

const dir = import.meta.dirname;

it("passes the `tripline test` spec next to its config, and fails when a value is off", async () => {
  const checked = checkConfig([join(dir, "config.yaml")]);
  expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const file = join(dir, "config.test.yaml");
  const { tests, diagnostics } = loadTests(file);
  expect(diagnostics).toEqual([]);
  expect(tests).toHaveLength(1);
  const result = await runTest(tests[0]!, file, checked.config!, checked.plan!, checked.configDir);
  expect(result.failures).toEqual([]);

  const off = structuredClone(tests[0]!);
  off.expect.debug!.metrics![0]!.value = 3;
  const failed = await runTest(off, file, checked.config!, checked.plan!, checked.configDir);
  expect(failed.failures).toEqual([expect.stringMatching(/^debug: no data point detections\{/)]);
});
