import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * Every test/config/invalid/NN-name.yaml is run through the built CLI (`tripline validate -c`)
 * from the repo root; stderr must equal NN-name.expected exactly, line:col included.
 *
 * After a deliberate change to a message (or a new component type, which changes the "valid
 * types" lists), regenerate with `UPDATE_EXPECTED=1 npx vitest run test/config/invalid-corpus`
 * and review the diff of the .expected files.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const folder = "test/config/invalid";
const cli = join(root, "dist/cli/main.js");
const cases = readdirSync(join(root, folder))
  .filter((name) => name.endsWith(".yaml"))
  .sort();

/** A controlled environment: SECRET is set (and must never be printed), MISSING_VAR is not. */
function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SECRET: "hunter2", NO_COLOR: "1" };
  delete env.MISSING_VAR;
  delete env.TRIPLINE_CONFIG;
  return env;
}

describe("invalid config corpus", () => {
  it("has at least 15 broken configs, each with its expected output", () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
    const expected = readdirSync(join(root, folder)).filter((name) => name.endsWith(".expected"));
    expect(expected.map((name) => name.replace(/\.expected$/, ""))).toEqual(
      cases.map((name) => name.replace(/\.yaml$/, "")),
    );
  });

  it.each(cases)("%s", (name) => {
    const file = `${folder}/${name}`;
    const result = spawnSync(process.execPath, [cli, "validate", "-c", file], {
      cwd: root,
      env: cliEnv(),
      encoding: "utf8",
    });
    const expectedFile = join(root, file.replace(/\.yaml$/, ".expected"));
    if (process.env.UPDATE_EXPECTED) writeFileSync(expectedFile, result.stderr);
    expect(result.stderr).toBe(readFileSync(expectedFile, "utf8"));
    expect(result.stdout).toBe("");
    expect(result.status).toBe(1);
    expect(result.stderr).not.toContain("hunter2");
    expect(result.stderr.trimEnd().split("\n").at(-1)).toMatch(
      new RegExp(`^\\d+ errors? in ${file.replace(/[.]/g, "\\.")}$`),
    );
  });
});
