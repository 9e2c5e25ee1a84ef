import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeLogsRequest } from "../../src/pdata/otlp-json-decode.js";
import { freePort, PROMTOOL } from "../helpers/prometheus.js";
import { type Gateway, startGateway } from "./gateway.js";

// Cluster workers share a listen socket only on a fixed port (each worker binding port 0 would
// get a port of its own), so the test picks free ports. Each worker writes its own file: two
// processes appending to one file could interleave lines. The primary validates the config
// without a worker id, hence the default.
const configYaml = (receiverPort: number, telemetryPort: number, prefix: string) => `
receivers:
  detections:
    endpoint: 127.0.0.1:${receiverPort}
exporters:
  file:
    path: ./${prefix}-\${env:TRIPLINE_WORKER_ID:-0}.jsonl
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${telemetryPort}
  shutdown_timeout: 10s
  pipelines:
    logs:
      receivers: [detections]
      exporters: [file]
`;

/** One POST on a fresh connection: cluster spreads connections, not requests, over workers. */
function post(port: number, id: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/v1/detections",
        method: "POST",
        agent: false,
        headers: { "content-type": "application/json" },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify({ detection_id: id, severity: "high" }));
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function idsIn(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .flatMap((line) => decodeLogsRequest(JSON.parse(line)))
    .map((r) => (r.body as { detection_id: string }).detection_id);
}

interface LogLine {
  msg?: string;
  worker?: number;
  pid?: number;
  reason?: string;
}
const logLines = (gw: Gateway): LogLine[] =>
  gw
    .stderr()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogLine);

/** pid of a worker as the primary last reported it ready. */
const readyPid = (gw: Gateway, worker: number) =>
  logLines(gw)
    .filter((l) => l.msg === "worker ready" && l.worker === worker)
    .at(-1)?.pid;

describe("tripline run --workers 2", () => {
  let gw: Gateway;
  let receiverPort: number;
  let telemetry: string;
  const ready = () =>
    until("/readyz 200", async () => ((await fetch(`${telemetry}/readyz`)).ok ? true : undefined));

  beforeAll(async () => {
    receiverPort = await freePort();
    const telemetryPort = await freePort();
    telemetry = `http://127.0.0.1:${telemetryPort}`;
    gw = await startGateway(configYaml(receiverPort, telemetryPort, "out"), {
      TRIPLINE_WORKERS: "2",
    });
    await ready();
  });
  afterAll(() => {
    if (gw.process.exitCode === null) gw.process.kill("SIGKILL");
  });

  it("spreads detections over both workers, loses none, and merges their metrics", async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `w-${i}`);
    for (const id of ids) expect(await post(receiverPort, id)).toBe(200);

    const one = idsIn(join(gw.dir, "out-1.jsonl"));
    const two = idsIn(join(gw.dir, "out-2.jsonl"));
    expect([...one, ...two].sort()).toEqual([...ids].sort());
    expect(one.length).toBeGreaterThan(0);
    expect(two.length).toBeGreaterThan(0);

    const text = await (await fetch(`${telemetry}/metrics`)).text();
    const accepted = new Map<string, number>();
    for (const m of text.matchAll(
      /^tripline_receiver_accepted_log_records_total\{worker="(\d)",[^}]*\} (\d+)$/gm,
    )) {
      accepted.set(m[1] ?? "", Number(m[2]));
    }
    // Each worker's count matches what it wrote, so the label names the right process.
    expect(Object.fromEntries(accepted)).toEqual({ "1": one.length, "2": two.length });
    expect(text.match(/^# TYPE tripline_receiver_accepted_log_records_total /gm)).toHaveLength(1);
    const check = spawnSync(PROMTOOL, ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });

  it("relays SIGHUP to every worker, which picks up the edited config", async () => {
    const configPath = join(gw.dir, "config.yaml");
    const telemetryPort = Number(new URL(telemetry).port);
    writeFileSync(configPath, configYaml(receiverPort, telemetryPort, "edited"));
    gw.process.kill("SIGHUP");
    await until("both workers reloading on SIGHUP", async () => {
      const hup = logLines(gw).filter(
        (l) => l.msg === "reloading configuration" && l.reason === "SIGHUP",
      );
      return new Set(hup.map((l) => l.worker)).size === 2 ? true : undefined;
    });
    await until("both workers reloaded", async () =>
      logLines(gw).filter((l) => l.msg === "configuration reloaded").length >= 2 ? true : undefined,
    );
    const ids = Array.from({ length: 10 }, (_, i) => `e-${i}`);
    for (const id of ids) expect(await post(receiverPort, id)).toBe(200);
    const edited = [
      ...idsIn(join(gw.dir, "edited-1.jsonl")),
      ...idsIn(join(gw.dir, "edited-2.jsonl")),
    ];
    expect(edited.sort()).toEqual([...ids].sort());
  });

  it("restarts a worker that dies, under the same worker id", async () => {
    const before = readyPid(gw, 2);
    expect(before).toBeDefined();
    process.kill(before as number, "SIGKILL");
    await until("/healthz 503 while worker 2 is gone", async () =>
      (await fetch(`${telemetry}/healthz`)).status === 503 ? true : undefined,
    );
    const after = await until("worker 2 ready again", async () => {
      const pid = readyPid(gw, 2);
      return pid !== undefined && pid !== before ? pid : undefined;
    });
    expect(after).not.toBe(before);
    await ready();
    expect((await fetch(`${telemetry}/healthz`)).status).toBe(200);
  });

  it("drains and exits 0 on SIGTERM", async () => {
    const code = await gw.stop("SIGTERM");
    expect(code).toBe(0);
    const stopped = logLines(gw).filter((l) => l.msg === "worker stopped");
    expect(new Set(stopped.map((l) => l.worker))).toEqual(new Set([1, 2]));
  });
});

describe("tripline run --workers: start-up failures", () => {
  const CLI = process.env.TRIPLINE_CLI ?? join(import.meta.dirname, "../../dist/cli/main.js");
  const run = (yaml: string) => {
    const dir = mkdtempSync(join(tmpdir(), "tripline-workers-"));
    writeFileSync(join(dir, "config.yaml"), yaml);
    return spawnSync(process.execPath, [CLI, "run", "--workers", "2", "-c", "config.yaml"], {
      cwd: dir,
      encoding: "utf8",
      timeout: 30_000,
    });
  };

  it("validates the config in the primary and exits 1 without forking", () => {
    const result = run("receivers: { detection: {} }\n");
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('unknown receiver type "detection"');
    expect(result.stderr).not.toContain("starting workers");
  });

  it("exits 1 when a worker cannot start (its port is taken)", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as AddressInfo;
    const telemetryPort = await freePort();
    const result = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const dir = mkdtempSync(join(tmpdir(), "tripline-workers-"));
      writeFileSync(join(dir, "config.yaml"), configYaml(port, telemetryPort, "out"));
      const child = spawn(process.execPath, [CLI, "run", "--workers", "2", "-c", "config.yaml"], {
        cwd: dir,
      });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("exit", (status) => resolve({ status, stderr }));
    });
    taken.close();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("worker failed to start: stopping all workers");
  });
});
