import cluster, { type Worker } from "node:cluster";
import { availableParallelism, constants } from "node:os";
import { formatDiagnostic } from "../config/diagnostic.js";
import { createLogger } from "../telemetry/logger.js";
import type { OtelTelemetry } from "../telemetry/otel-telemetry.js";
import { TelemetryServer } from "../telemetry/server.js";
import { checkConfig } from "./validate.js";

/**
 * `tripline run --workers N`: one primary process (node:cluster) and N workers, each running
 * the ordinary `run` and sharing nothing but the receivers' listen sockets. The primary only
 * supervises: it relays signals, restarts a worker that dies, and serves the self-telemetry of
 * all workers on the configured address.
 */

/** Messages between a worker and the primary, over the cluster IPC channel. */
type WorkerMessage =
  | { type: "tripline:ready" }
  | { type: "tripline:stopping" }
  | { type: "tripline:metrics"; seq: number; text: string };
type PrimaryMessage = { type: "tripline:metrics"; seq: number };

/** Restarts allowed within RESTART_WINDOW_MS before the primary gives up and stops everything. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
const RESTART_BACKOFF_MS = 500;
const RESTART_BACKOFF_MAX_MS = 10_000;
/** How long a scrape waits for a worker's metrics; a busy or dying worker is left out. */
const METRICS_TIMEOUT_MS = 2_000;
/** Grace after shutdown_timeout before the primary kills workers that have not exited. */
const KILL_GRACE_MS = 5_000;

/** `--workers` or TRIPLINE_WORKERS: a whole number ≥ 1, or `auto` (one per core). */
export function workerCount(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return 1;
  if (value === "auto") return availableParallelism();
  return /^[1-9]\d*$/.test(value) ? Number(value) : undefined;
}

/**
 * Merges the Prometheus text of several workers into one exposition: every sample gets a
 * `worker="<id>"` label, and each metric family appears once, HELP and TYPE first, with the
 * samples of all workers together (the text format wants a family's lines contiguous).
 */
export function mergeExpositions(parts: { worker: string; text: string }[]): string {
  const families = new Map<string, { meta: Map<string, string>; samples: string[] }>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) {
      f = { meta: new Map(), samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const { worker, text } of parts) {
    const label = `worker="${worker.replace(/["\\\n]/g, "")}"`;
    let current = "";
    for (const line of text.split("\n")) {
      if (line === "") continue;
      const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (meta) {
        const [, kind = "", name = ""] = meta;
        current = name;
        const f = family(current);
        if (!f.meta.has(kind)) f.meta.set(kind, line);
        continue;
      }
      if (line.startsWith("#")) continue;
      const space = line.indexOf(" ");
      const brace = line.indexOf("{");
      const labelled = brace !== -1 && (space === -1 || brace < space);
      const name = labelled ? line.slice(0, brace) : line.slice(0, space);
      const sample = labelled
        ? line[brace + 1] === "}"
          ? `${name}{${label}${line.slice(brace + 1)}`
          : `${name}{${label},${line.slice(brace + 1)}`
        : `${name}{${label}}${line.slice(space)}`;
      family(current || name).samples.push(sample);
    }
  }
  let out = "";
  for (const f of families.values()) {
    for (const kind of ["HELP", "TYPE"]) {
      const line = f.meta.get(kind);
      if (line) out += `${line}\n`;
    }
    for (const s of f.samples) out += `${s}\n`;
  }
  return out;
}

/**
 * The worker side: answers the primary's metrics requests with this process's exposition text
 * and tells it when the service is ready and when it is stopping.
 */
export function serveWorker(telemetry: OtelTelemetry): { ready(): void; stopping(): void } {
  const send = (message: WorkerMessage) => {
    if (process.connected) process.send?.(message);
  };
  process.on("message", (message: PrimaryMessage) => {
    if (message?.type !== "tripline:metrics") return;
    telemetry.exposition().then(
      (text) => send({ type: "tripline:metrics", seq: message.seq, text }),
      () => send({ type: "tripline:metrics", seq: message.seq, text: "" }),
    );
  });
  return {
    ready: () => send({ type: "tripline:ready" }),
    stopping: () => send({ type: "tripline:stopping" }),
  };
}

interface Slot {
  id: number;
  worker?: Worker;
  ready: boolean;
  /** Has reported ready at least once: a worker that dies before that never started. */
  started: boolean;
  restartTimer?: NodeJS.Timeout;
}

/** Exit status of a worker: its code, or 128 + the signal number when a signal ended it. */
function statusOf(code: number | null, signal: string | null): number {
  if (code !== null) return code;
  const n = signal ? constants.signals[signal as keyof typeof constants.signals] : undefined;
  return n ? 128 + n : 1;
}

/** The primary: validates the config, forks `count` workers and supervises them until stopped. */
export async function runWorkers(files: string[], count: number): Promise<number> {
  const checked = checkConfig(files);
  const errors = checked.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0 || !checked.config || !checked.plan) {
    for (const d of checked.diagnostics) console.error(formatDiagnostic(d));
    console.error(
      `invalid configuration: ${errors.length} error${errors.length === 1 ? "" : "s"}; nothing started`,
    );
    return 1;
  }
  const { config } = checked;
  // Workers print the config's warnings themselves; the primary logs only what it does.
  const logger = createLogger(config.service.telemetry.logs.level).child({ primary: process.pid });

  const slots: Slot[] = Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    ready: false,
    started: false,
  }));
  const restarts: number[] = [];
  let stopping = false;
  let stopSignal: NodeJS.Signals | undefined;
  let failed = false;
  let exitCode = 0;
  let seq = 0;
  const pendingMetrics = new Map<number, (text: string) => void>();
  let allExited!: () => void;
  const done = new Promise<void>((resolve) => (allExited = resolve));
  const live = () => slots.filter((s) => s.worker);
  const settle = () => {
    if (stopping && live().length === 0) allExited();
  };

  const fork = (slot: Slot) => {
    slot.restartTimer = undefined;
    slot.ready = false;
    // The same id on a restart: the worker finds its own persistent queue again.
    const worker = cluster.fork({ TRIPLINE_WORKER_ID: String(slot.id) });
    slot.worker = worker;
    worker.on("message", (message: WorkerMessage) => {
      if (message?.type === "tripline:ready") {
        slot.ready = true;
        slot.started = true;
        logger.info({ worker: slot.id, pid: worker.process.pid }, "worker ready");
      } else if (message?.type === "tripline:stopping") slot.ready = false;
      else if (message?.type === "tripline:metrics")
        pendingMetrics.get(message.seq)?.(message.text);
    });
    worker.on("exit", (code, signal) => {
      slot.worker = undefined;
      slot.ready = false;
      const status = statusOf(code, signal);
      if (stopping) {
        // A worker still starting when told to stop dies of that signal before its handler
        // exists: it had accepted nothing, so that is a clean stop.
        exitCode = Math.max(exitCode, signal === stopSignal ? 0 : status);
        logger.info({ worker: slot.id, code, signal }, "worker stopped");
        return settle();
      }
      logger.error({ worker: slot.id, code, signal }, "worker exited unexpectedly");
      if (!slot.started) {
        // Like `run`, a gateway that cannot start (a port in use, …) exits 1 at once.
        logger.error({ worker: slot.id }, "worker failed to start: stopping all workers");
        return stopAll("SIGTERM", Math.max(1, status));
      }
      const now = Date.now();
      while (restarts.length > 0 && (restarts[0] ?? now) < now - RESTART_WINDOW_MS)
        restarts.shift();
      if (restarts.length >= MAX_RESTARTS) {
        logger.error(
          { restarts: restarts.length, window_ms: RESTART_WINDOW_MS },
          "workers keep dying: stopping all workers",
        );
        return stopAll("SIGTERM", 1);
      }
      const delay = Math.min(RESTART_BACKOFF_MAX_MS, RESTART_BACKOFF_MS * 2 ** restarts.length);
      restarts.push(now);
      logger.warn({ worker: slot.id, delay_ms: delay }, "restarting worker");
      slot.restartTimer = setTimeout(() => fork(slot), delay);
    });
  };

  function stopAll(signal: NodeJS.Signals, status = 0) {
    if (status > 0) failed = true;
    exitCode = Math.max(exitCode, status);
    stopping = true;
    stopSignal = signal;
    for (const slot of slots) {
      clearTimeout(slot.restartTimer);
      slot.worker?.process.kill(signal);
    }
    // Workers drain within shutdown_timeout themselves; this only catches a stuck one.
    setTimeout(() => {
      for (const slot of live()) slot.worker?.process.kill("SIGKILL");
    }, config.service.shutdownTimeoutMs + KILL_GRACE_MS).unref();
    settle();
  }

  const collect = async (): Promise<string> => {
    const parts = await Promise.all(
      live().map(async (slot) => {
        const n = ++seq;
        const text = await new Promise<string | undefined>((resolve) => {
          const timer = setTimeout(() => resolve(undefined), METRICS_TIMEOUT_MS);
          pendingMetrics.set(n, (t) => {
            clearTimeout(timer);
            resolve(t);
          });
          try {
            slot.worker?.send({ type: "tripline:metrics", seq: n } satisfies PrimaryMessage);
          } catch {
            resolve(undefined);
          }
        });
        pendingMetrics.delete(n);
        return text === undefined ? undefined : { worker: String(slot.id), text };
      }),
    );
    return mergeExpositions(parts.filter((p) => p !== undefined));
  };

  const telemetryServer =
    config.service.telemetry.metrics.level === "none"
      ? undefined
      : new TelemetryServer(config.service.telemetry.metrics.address, collect, {
          healthy: () => !failed && slots.every((s) => s.worker),
          ready: () => !stopping && slots.every((s) => s.ready),
        });
  try {
    const address = await telemetryServer?.start();
    if (address)
      logger.info(
        { endpoint: `${address.address}:${address.port}`, workers: count },
        "self-telemetry serving /metrics, /healthz, /readyz for all workers",
      );
  } catch (error) {
    logger.error({ err: String(error) }, "start failed");
    return 1;
  }

  const onStop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.error({ signal }, "second signal: killing workers without draining");
      for (const slot of live()) slot.worker?.process.kill("SIGKILL");
      process.exit(130);
    }
    logger.info({ signal, workers: live().length }, "stopping workers");
    stopAll(signal);
  };
  // A worker still starting has no SIGHUP handler yet (the default would kill it); it reads
  // the current config as it starts anyway.
  const onHangup = () => {
    for (const slot of slots) if (slot.ready) slot.worker?.process.kill("SIGHUP");
  };
  process.on("SIGTERM", onStop);
  process.on("SIGINT", onStop);
  process.on("SIGHUP", onHangup);

  logger.info({ workers: count }, "starting workers");
  for (const slot of slots) fork(slot);
  await done;
  process.off("SIGTERM", onStop);
  process.off("SIGINT", onStop);
  process.off("SIGHUP", onHangup);
  await telemetryServer?.stop();
  logger.info({ exit_code: exitCode }, "all workers stopped");
  return exitCode;
}
