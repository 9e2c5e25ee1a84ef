import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatadogContractServer } from "../exporters/datadog/contract-server.js";

const CLI = resolve(import.meta.dirname, "../../dist/cli/main.js");

/** Async spawn: the contract server answers from this same process while the CLI runs. */
function cli(args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; out: string; err: string }>((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (err += d));
    child.on("exit", (code) => done({ code, out, err }));
  });
}

describe("tripline check", () => {
  const server = new DatadogContractServer();
  let config: string;
  beforeAll(async () => {
    await server.start();
    config = join(mkdtempSync(join(tmpdir(), "tripline-check-")), "config.yaml");
    writeFileSync(
      config,
      `
receivers: { detections: {} }
exporters:
  debug: {}
  datadog_logs: { api_key: "\${env:DD_API_KEY}", endpoint: "${server.url}" }
service:
  pipelines: { logs: { receivers: [detections], exporters: [debug, datadog_logs] } }
`,
    );
  });
  afterAll(() => server.stop());

  it("reports ok for a key the backend accepts", async () => {
    const r = await cli(["check", "-c", config], { DD_API_KEY: server.apiKey });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^EXPORTER\s+STATUS\s+DETAIL\n/);
    expect(r.out).toMatch(/\ndatadog_logs\s+ok\s+api_key is valid/);
    expect(r.out).toMatch(/\ndebug\s+skipped\s+no connection check/);
  });

  it("fails naming the exporter and the site, never printing the key", async () => {
    const wrong = "wrong-key-5f1c2e9a7b";
    const r = await cli(["check", "-c", config], { DD_API_KEY: wrong });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /\ndatadog_logs\s+failed\s+api_key refused .*HTTP 403.*check api_key for site datadoghq\.com/,
    );
    expect(r.out + r.err).not.toContain(wrong);
  });
});
