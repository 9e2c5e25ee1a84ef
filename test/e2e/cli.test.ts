import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const CLI = resolve(import.meta.dirname, "../../dist/cli/main.js");
const ROOT = resolve(import.meta.dirname, "../..");

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, TRIPLINE_CONFIG: "", ...env },
    encoding: "utf8",
    timeout: 15_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The secrets ready-made pipelines reference; tests need values, never real ones. */
const PIPELINE_ENV = {
  DD_API_KEY: "test",
  GRAFANA_CLOUD_API_TOKEN: "test",
  GRAFANA_TOKEN: "test",
  GRAFANA_CLOUD_INSTANCE_ID: "123456",
  GRAFANA_CLOUD_OTLP_ENDPOINT: "https://otlp.example",
};

function pipelineConfigs(): string[] {
  const files = readdirSync(join(ROOT, "pipelines")).filter(
    (f) => f.endsWith(".yaml") && !f.endsWith(".test.yaml"),
  );
  expect(files.length).toBeGreaterThan(0);
  return files;
}

function tempConfig(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "tripline-cli-")), "config.yaml");
  writeFileSync(file, yaml);
  return file;
}

describe("tripline CLI", () => {
  it("validate accepts config.example.yaml", () => {
    const r = cli(["validate", "-c", "config.example.yaml"]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("config.example.yaml: valid (1 pipeline)");
    expect(r.code).toBe(0);
  });

  it("validate accepts every ready-made pipeline in pipelines/", () => {
    for (const f of pipelineConfigs()) {
      const r = cli(["validate", "-c", `pipelines/${f}`], PIPELINE_ENV);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    }
  });

  it("every ready-made pipeline ships with unit tests, and they pass", () => {
    for (const f of pipelineConfigs()) {
      const tests = `pipelines/${f.replace(/\.yaml$/, ".test.yaml")}`;
      expect(existsSync(join(ROOT, tests)), `${tests} is missing`).toBe(true);
      const r = cli(["test", "-c", `pipelines/${f}`], PIPELINE_ENV);
      expect(r.stdout).toMatch(/\n\d+ passed, 0 failed\n$/);
      expect(r.code).toBe(0);
    }
  });

  it("validate reads TRIPLINE_CONFIG when -c is absent", () => {
    const r = cli(["validate"], { TRIPLINE_CONFIG: "config.example.yaml" });
    expect(r.code).toBe(0);
    expect(cli(["validate"]).stderr).toContain(
      "no config file given (use -c FILE or TRIPLINE_CONFIG)",
    );
  });

  it("components lists every type with options and defaults from the schemas", () => {
    const r = cli(["components", "--json"]);
    expect(r.code).toBe(0);
    const docs = JSON.parse(r.stdout) as {
      kind: string;
      type: string;
      options: { name: string; default?: unknown }[];
    }[];
    expect(docs.map((d) => `${d.kind}/${d.type}`)).toEqual(
      expect.arrayContaining([
        "receiver/detections",
        "processor/batch",
        "exporter/debug",
        "exporter/file",
      ]),
    );
    const batch = docs.find((d) => d.type === "batch")!;
    expect(batch.options).toContainEqual(
      expect.objectContaining({ name: "send_batch_size", default: 8192 }),
    );
    expect(cli(["components"]).stdout).toContain(
      'verbosity: "basic" | "normal" | "detailed" (default "basic")',
    );
  });

  it("--help works on every command", () => {
    for (const args of [
      ["--help"],
      ["run", "--help"],
      ["validate", "--help"],
      ["components", "--help"],
    ]) {
      const r = cli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: tripline/);
    }
  });

  it("run refuses an invalid config, prints every error and starts nothing", () => {
    const file = tempConfig(
      "receivers:\n  detection: {}\nexporters:\n  debug: {verbosity: loud}\nservice: {pipelines: {}}\n",
    );
    const r = cli(["run", "-c", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${file}:2:3 receivers.detection: unknown receiver type "detection" (did you mean "detections"? "detection" is a processor, so it belongs under processors)`,
    );
    expect(r.stderr).toContain(
      `${file}:4:22 exporters.debug.verbosity: expected one of "basic", "normal", "detailed" (got "loud")`,
    );
    expect(r.stderr).toContain("nothing started");
  });

  it("run exits non-zero naming the component that failed to start", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    const file = tempConfig(`
receivers: { detections: { endpoint: "127.0.0.1:${port}" } }
exporters: { debug: {} }
service:
  telemetry: { metrics: { level: none } }
  pipelines: { logs: { receivers: [detections], exporters: [debug] } }
`);
    const r = cli(["run", "-c", file]);
    blocker.close();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('failed to start receiver \\"detections\\"');
    expect(r.stderr).toContain("EADDRINUSE");
  });

  it("merges several -c files, later files winning", () => {
    const base = tempConfig(`
receivers: { detections: {} }
exporters: { debug: { verbosity: loud } }
service:
  pipelines: { logs: { receivers: [detections], exporters: [debug] } }
`);
    const fix = tempConfig("exporters: { debug: { verbosity: basic } }\n");
    expect(cli(["validate", "-c", base, "-c", fix]).code).toBe(0);
    const r = cli(["validate", "-c", fix, "-c", base]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${base}:3:34 exporters.debug.verbosity: expected one of`);
  });
});
