import cluster from "node:cluster";
import type { Host } from "../component/component.js";
import { errorMessage } from "../component/errors.js";
import { formatDiagnostic } from "../config/diagnostic.js";
import type { TriplineConfig } from "../config/validate.js";
import { watchConfigFiles } from "../config/watch.js";
import { Reloader } from "../service/reload.js";
import { Service } from "../service/service.js";
import { createLogger } from "../telemetry/logger.js";
import { OtelTelemetry } from "../telemetry/otel-telemetry.js";
import { TelemetryServer } from "../telemetry/server.js";
import { checkConfig } from "./validate.js";
import { VERSION } from "./version.js";
import { serveWorker } from "./workers.js";

/**
 * How long components may drain: a little under `shutdown_timeout`, so exporters log and hand
 * over what they could not send before the process gives up waiting and exits.
 */
export function drainBudgetMs(shutdownTimeoutMs: number): number {
  return Math.max(0, shutdownTimeoutMs - Math.min(2_000, Math.max(100, shutdownTimeoutMs / 10)));
}

function drainDeadline(config: TriplineConfig) {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(),
    drainBudgetMs(config.service.shutdownTimeoutMs),
  );
  return { signal: controller.signal, dispose: () => clearTimeout(timer) };
}

/** Runs the gateway until SIGTERM/SIGINT, reloading on SIGHUP or a config change. */
export async function runCommand(files: string[]): Promise<number> {
  const checked = checkConfig(files);
  const errors = checked.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0 || !checked.config || !checked.plan) {
    for (const d of checked.diagnostics) console.error(formatDiagnostic(d));
    console.error(
      `invalid configuration: ${errors.length} error${errors.length === 1 ? "" : "s"}; nothing started`,
    );
    return 1;
  }
  const { config, plan } = checked;
  const root = createLogger(config.service.telemetry.logs.level);
  // Under `--workers`, every log line says which worker wrote it.
  const logger = cluster.isWorker
    ? root.child({ worker: Number(process.env.TRIPLINE_WORKER_ID) })
    : root;
  for (const d of checked.diagnostics) logger.warn(formatDiagnostic(d));

  const telemetry = new OtelTelemetry(VERSION);
  let ready = false;
  let healthy = true;
  // A `--workers` worker serves no telemetry of its own: the primary serves everyone's.
  const worker = cluster.isWorker ? serveWorker(telemetry) : undefined;
  const telemetryServer =
    worker || config.service.telemetry.metrics.level === "none"
      ? undefined
      : new TelemetryServer(config.service.telemetry.metrics.address, telemetry, {
          healthy: () => healthy,
          ready: () => ready,
        });

  let stopRequested!: (reason: { signal?: string; fatal?: Error }) => void;
  const stopped = new Promise<{ signal?: string; fatal?: Error }>(
    (resolve) => (stopRequested = resolve),
  );
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals | "disconnect") => {
    // A worker gets a terminal's Ctrl-C twice (process group, then relayed by the primary):
    // the primary alone turns a second signal into an exit without draining.
    if (worker && signals > 0) return;
    signals++;
    if (signals > 1) {
      logger.error({ signal }, "second signal: exiting without draining");
      process.exit(130);
    }
    stopRequested({ signal });
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  // A worker whose primary is gone stops as if told to.
  if (worker) process.once("disconnect", () => onSignal("disconnect"));

  const service = new Service({ config, plan, logger, telemetry, configDir: checked.configDir });
  const host: Host = {
    reportFatal: (id, error) => {
      healthy = false;
      logger.error({ component: id, err: error.message }, "fatal component error");
      stopRequested({ fatal: error });
    },
  };
  try {
    if (telemetryServer) {
      const address = await telemetryServer.start();
      logger.info(
        { endpoint: `${address.address}:${address.port}` },
        "self-telemetry serving /metrics, /healthz, /readyz",
      );
    }
    await service.start(host);
  } catch (error) {
    logger.error({ err: errorMessage(error) }, "start failed");
    await telemetryServer?.stop();
    return 1;
  }
  ready = true;
  worker?.ready();
  logger.info(
    { pipelines: plan.pipelines.map((p) => p.id), version: VERSION },
    "Tripline is running",
  );

  const reloader = new Reloader({
    initial: { config, plan, configDir: checked.configDir, service },
    load: () => {
      const next = checkConfig(files);
      return {
        checked:
          next.config && next.plan
            ? { config: next.config, plan: next.plan, configDir: next.configDir }
            : undefined,
        diagnostics: next.diagnostics,
      };
    },
    logger,
    telemetry,
    host,
    deadline: drainDeadline,
  });
  const reload = (reason: string) => {
    reloader.reload(reason).catch((error: unknown) => {
      host.reportFatal("service", error instanceof Error ? error : new Error(String(error)));
    });
  };
  let stopping = false;
  const onHangup = () => {
    if (stopping) logger.warn("SIGHUP ignored: shutting down");
    else reload("SIGHUP");
  };
  process.on("SIGHUP", onHangup);
  const unwatch = watchConfigFiles(files, logger, () => reload("config file changed"));

  const reason = await stopped;
  stopping = true;
  unwatch();
  ready = false;
  worker?.stopping();
  logger.info({ signal: reason.signal }, "shutting down: draining in-flight data");
  // A reload under way finishes first; the timeout covers it too.
  const timeoutMs = reloader.current.config.service.shutdownTimeoutMs;
  const deadline = drainDeadline(reloader.current.config);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    reloader
      .settled()
      .then(() => reloader.current.service.shutdown(deadline.signal))
      .then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  deadline.dispose();
  process.off("SIGHUP", onHangup);
  if (timedOut)
    logger.error(
      { shutdown_timeout_ms: timeoutMs },
      "shutdown_timeout reached before everything drained",
    );
  await telemetryServer?.stop();
  await telemetry.shutdown();
  logger.info("stopped");
  return reason.fatal || timedOut ? 1 : 0;
}
