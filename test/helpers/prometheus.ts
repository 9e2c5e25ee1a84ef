/**
 * A real Prometheus (/usr/bin/prometheus; CI installs the Debian package) for end-to-end tests:
 * started on a free loopback port with a 1 s scrape of the given targets, queried over its HTTP
 * API, stopped and cleaned up by the test.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const PROMETHEUS = "/usr/bin/prometheus";
export const PROMTOOL = "/usr/bin/promtool";
export const INSTALL_HINT =
  "install Prometheus to run this test (CI does): apt-get install -y prometheus " +
  "(provides /usr/bin/prometheus and /usr/bin/promtool)";

/** A port that was free a moment ago (for servers that only log their configured address). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

export async function query(base: string, promql: string): Promise<PromResult[]> {
  const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const json = (await response.json()) as { status: string; data: { result: PromResult[] } };
  if (json.status !== "success") throw new Error(`query failed: ${JSON.stringify(json)}`);
  return json.data.result;
}

/** label → value, from a query, for comparing whole result sets. */
export function byLabel(results: PromResult[], label: string): Record<string, number> {
  return Object.fromEntries(results.map((r) => [r.metric[label] ?? "", Number(r.value[1])]));
}

/** Polls a query until `check` passes or `timeoutMs` elapse; returns the last result. */
export async function eventually(
  base: string,
  promql: string,
  check: (results: PromResult[]) => boolean,
  timeoutMs = 15_000,
): Promise<PromResult[]> {
  const deadline = Date.now() + timeoutMs;
  let last: PromResult[] = [];
  while (Date.now() < deadline) {
    last = await query(base, promql).catch(() => []);
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  return last;
}

export interface Prometheus {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:9091. */
  base: string;
  process: ChildProcess;
  log: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts Prometheus scraping `targets` ("host:port") every second under job `tripline`, and
 * waits until it is ready. `remoteWrite` also enables its remote-write receiver.
 */
export async function startPrometheus(
  targets: string[],
  options: { remoteWrite?: boolean } = {},
): Promise<Prometheus> {
  if (!existsSync(PROMETHEUS) || !existsSync(PROMTOOL)) throw new Error(INSTALL_HINT);
  const dir = mkdtempSync(join(tmpdir(), "tripline-prometheus-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(dir, "prometheus.yml"),
    [
      "global: { scrape_interval: 1s, evaluation_interval: 1s }",
      "scrape_configs:",
      "  - job_name: tripline",
      "    scrape_interval: 1s",
      "    static_configs:",
      `      - targets: ${JSON.stringify(targets)}`,
      "",
    ].join("\n"),
  );
  const child = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...(options.remoteWrite ? ["--web.enable-remote-write-receiver"] : []),
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited:\n${log}`);
    }
    const ready = await fetch(`${base}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready in 15s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base, process: child, log: () => log, stop };
}
