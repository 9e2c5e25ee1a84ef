import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// TRIPLINE_CLI points at a privately built CLI (e.g. /tmp/x/dist/cli/main.js); dist/ by default.
const CLI = process.env.TRIPLINE_CLI ?? resolve(import.meta.dirname, "../../dist/cli/main.js");

export interface Gateway {
  process: ChildProcess;
  dir: string;
  stdout: () => string;
  stderr: () => string;
  /** Base URL of the detections receiver. */
  receiverUrl: string;
  /** Base URL of the self-telemetry server. */
  telemetryUrl: string;
  /** Base URL of the otlp receiver's HTTP server, when there is one. */
  otlpHttpUrl: string;
  exited: Promise<number | null>;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** Log lines are JSON on stderr; find the first with a message and return its endpoint. */
function endpointFrom(stderr: string, message: string): string | undefined {
  for (const line of stderr.split("\n")) {
    if (!line.startsWith("{")) continue;
    const entry = JSON.parse(line) as { msg?: string; endpoint?: string };
    if (entry.msg === message && entry.endpoint) return `http://${entry.endpoint}`;
  }
  return undefined;
}

export interface GatewayOptions {
  /**
   * Config files passed with -c before the written YAML, which is merged over them (so a
   * ready-made pipeline can be run with test endpoints). Relative paths in the first file
   * resolve against its own directory.
   */
  configFiles?: string[];
}

/**
 * Starts the built CLI on a config written to a fresh temp dir. Listen ports should be 0 in
 * the config; the bound ports are read from the gateway's own start-up log lines.
 */
export async function startGateway(
  configYaml: string,
  env: NodeJS.ProcessEnv = {},
  options: GatewayOptions = {},
): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), "tripline-e2e-"));
  const configPath = join(dir, "config.yaml");
  writeFileSync(configPath, configYaml);
  const files = [...(options.configFiles ?? []), configPath].flatMap((f) => ["-c", f]);
  const child = spawn(process.execPath, [CLI, "run", ...files], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolveExit) =>
    child.on("exit", (code) => resolveExit(code)),
  );

  const deadline = Date.now() + 10_000;
  while (!err.includes('"Tripline is running"')) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}:\n${err}`);
    if (Date.now() > deadline) throw new Error(`gateway did not start in 10s:\n${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    process: child,
    dir,
    stdout: () => out,
    stderr: () => err,
    receiverUrl: endpointFrom(err, "detections receiver listening") ?? "",
    telemetryUrl: endpointFrom(err, "self-telemetry serving /metrics, /healthz, /readyz") ?? "",
    otlpHttpUrl: endpointFrom(err, "otlp receiver listening") ?? "",
    exited,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Parses Prometheus text exposition into `name{labels}` → value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}
