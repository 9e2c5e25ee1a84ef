import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type ChaosBackend, ID_PATTERN } from "./chaos.js";

/**
 * The built CLI. Defaults to the project's dist/ (built by `npm test`); TRIPLINE_CLI points at a
 * private build instead.
 */
const CLI = process.env.TRIPLINE_CLI ?? resolve(import.meta.dirname, "../../dist/cli/main.js");

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Tripline process on a config in its own folder; restartable on the same folder. */
export class Gateway {
  process!: ChildProcess;
  stderr = "";
  receiverUrl = "";
  exited!: Promise<number | null>;
  readonly dir: string;
  readonly configPath: string;

  constructor(config: string) {
    this.dir = mkdtempSync(join(tmpdir(), "tripline-faults-"));
    this.configPath = join(this.dir, "config.yaml");
    writeFileSync(this.configPath, config);
  }

  writeConfig(config: string): void {
    writeFileSync(this.configPath, config);
  }

  async start(): Promise<this> {
    this.stderr = "";
    const child = spawn(process.execPath, [CLI, "run", "-c", this.configPath], {
      cwd: this.dir,
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.process = child;
    child.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) => child.on("exit", (code) => r(code)));
    await this.waitForLog("Tripline is running", 10_000);
    const line = this.logs().find((l) => l.msg === "detections receiver listening");
    this.receiverUrl = `http://${String(line?.endpoint)}/v1/detections`;
    return this;
  }

  /** Tripline's JSON log lines so far. */
  logs(): Record<string, unknown>[] {
    return this.stderr
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** Waits until a log line with this message appears `count` times in total. */
  async waitForLog(message: string, timeoutMs = 10_000, count = 1): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.logs().filter((l) => l.msg === message).length < count) {
      if (this.process.exitCode !== null)
        throw new Error(`gateway exited (${this.process.exitCode}):\n${this.stderr}`);
      if (Date.now() > deadline)
        throw new Error(`no "${message}" log in ${timeoutMs}ms:\n${this.stderr}`);
      await sleep(20);
    }
  }

  /** Resident set size in MiB, from /proc (Linux). */
  rssMiB(): number {
    const status = readFileSync(`/proc/${this.process.pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
  }

  signal(signal: NodeJS.Signals): void {
    this.process.kill(signal);
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (this.process.exitCode === null && this.process.signalCode === null)
      this.process.kill(signal);
    return this.exited;
  }
}

export interface LoadOptions {
  /** Where to POST; read on every request so a restarted gateway can be followed. */
  url: () => string;
  /** Unique per run, part of every id. */
  prefix: string;
  concurrency: number;
  perRequest: number;
  /** Extra bytes in every detection, to make batches large. */
  padBytes?: number;
  /** Stops sending at this time (epoch ms) or when `stop()` returns true. */
  until: number;
  /** Asked before every request, with the answers so far. */
  stop?: (sofar: LoadResult) => boolean;
  /** Every n-th detection carries `poison: true` (the backend may refuse payloads with it). */
  poisonEvery?: number;
}

export interface LoadResult {
  sent: number;
  acknowledged: Set<string>;
  refused: number;
  /** Connection refused / reset: the gateway was not listening. */
  networkErrors: number;
  statuses: Map<number, number>;
}

/** Concurrent senders of unique detections; each request either gets 2xx (acknowledged) or not. */
export async function generateLoad(options: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = {
    sent: 0,
    acknowledged: new Set(),
    refused: 0,
    networkErrors: 0,
    statuses: new Map(),
  };
  const pad = "p".repeat(options.padBytes ?? 0);
  let next = 0;
  const sender = async () => {
    while (Date.now() < options.until && !options.stop?.(result)) {
      const numbers = Array.from({ length: options.perRequest }, () => next++);
      const ids = numbers.map((n) => `FID${options.prefix}x${n}Z`);
      const body = numbers.map((n, i) => ({
        detection_id: ids[i],
        severity: "high",
        category: "prompt_injection",
        ...(pad ? { pad } : {}),
        ...(options.poisonEvery && n % options.poisonEvery === 0 ? { poison: true } : {}),
      }));
      result.sent += ids.length;
      try {
        const res = await fetch(options.url(), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        await res.arrayBuffer();
        result.statuses.set(res.status, (result.statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 200 && res.status < 300)
          for (const id of ids) result.acknowledged.add(id);
        else {
          result.refused += ids.length;
          // A refused sender backs off a little, as a real one honouring Retry-After would.
          await sleep(20);
        }
      } catch {
        result.networkErrors++;
        result.refused += ids.length;
        await sleep(20);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, sender));
  return result;
}

/** Ids in a dead-letter file (OTLP/JSON requests): given up on, but kept. */
export function deadLettered(path: string): Set<string> {
  if (!existsSync(path)) return new Set();
  const ids = new Set<string>();
  for (const match of readFileSync(path, "utf8").matchAll(new RegExp(ID_PATTERN, "g"))) {
    ids.add(match[0]);
  }
  return ids;
}

export interface Tally {
  sent: number;
  acknowledged: number;
  delivered: number;
  duplicates: number;
  deadLettered: number;
  lost: number;
}

/** Counts across every backend: an id delivered to two backends is a duplicate too. */
export function tally(load: LoadResult, backends: ChaosBackend[], dead = new Set<string>()): Tally {
  const counts = new Map<string, number>();
  for (const b of backends) {
    for (const [id, n] of b.delivered) counts.set(id, (counts.get(id) ?? 0) + n);
  }
  let duplicates = 0;
  for (const n of counts.values()) duplicates += n - 1;
  let lost = 0;
  for (const id of load.acknowledged) if (!counts.has(id) && !dead.has(id)) lost++;
  return {
    sent: load.sent,
    acknowledged: load.acknowledged.size,
    delivered: counts.size,
    duplicates,
    deadLettered: dead.size,
    lost,
  };
}

/** Polls until every acknowledged id reached a backend (or the dead letter), or time runs out. */
export async function settle(
  load: LoadResult,
  backends: ChaosBackend[],
  dead: () => Set<string> = () => new Set(),
  timeoutMs = 15_000,
): Promise<Tally> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = tally(load, backends, dead());
    if (t.lost === 0 || Date.now() > deadline) return t;
    await sleep(50);
  }
}

export function report(scenario: string, t: Tally, extra = ""): void {
  console.log(
    `[faults] ${scenario}: sent=${t.sent} acknowledged=${t.acknowledged} delivered=${t.delivered} ` +
      `duplicates=${t.duplicates} dead_lettered=${t.deadLettered} lost=${t.lost}${extra ? ` ${extra}` : ""}`,
  );
}

export interface ConfigOptions {
  endpoint: string;
  storage?: boolean;
  fsync?: "always" | "interval" | "never";
  deadLetter?: boolean;
  memoryLimitMiB?: number;
  /** Headroom below the memory limit where refusing starts (default a quarter of the limit). */
  spikeLimitMiB?: number;
  queueSize?: number;
  shutdownTimeout?: string;
}

/** A detections → batch → datadog_logs gateway with fast retries, pointed at a chaos backend. */
export function gatewayConfig(o: ConfigOptions): string {
  const processors = [...(o.memoryLimitMiB ? ["memory_limiter"] : []), "batch"];
  return `
receivers:
  detections:
    endpoint: 127.0.0.1:0
processors:
  batch:
    timeout: 50ms
    send_batch_size: 500
${
  o.memoryLimitMiB
    ? `  memory_limiter:
    check_interval: 50ms
    limit_mib: ${o.memoryLimitMiB}
    spike_limit_mib: ${o.spikeLimitMiB ?? Math.round(o.memoryLimitMiB / 4)}
`
    : ""
}exporters:
  datadog_logs:
    endpoint: ${o.endpoint}
    api_key: chaos-key
    compression: none
    timeout: 400ms
    retry_on_failure:
      initial_interval: 20ms
      max_interval: 200ms
      max_elapsed_time: 0
    circuit_breaker:
      failure_threshold: 5
      cool_down: 100ms
    sending_queue:
      sizer: items
      queue_size: ${o.queueSize ?? 200000}
      num_consumers: 4${o.storage ? `\n      storage: ./queue\n      fsync: ${o.fsync ?? "interval"}` : ""}
${o.deadLetter ? "    dead_letter:\n      path: ./dead-letter.jsonl\n" : ""}service:
  shutdown_timeout: ${o.shutdownTimeout ?? "5s"}
  telemetry:
    logs:
      level: info
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [detections]
      processors: [${processors.join(", ")}]
      exporters: [datadog_logs]
`;
}
