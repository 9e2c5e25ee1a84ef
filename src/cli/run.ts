import { errorMessage } from "../component/errors.js";
import { formatDiagnostic } from "../config/diagnostic.js";
import { Service } from "../service/service.js";
import { createLogger } from "../telemetry/logger.js";
import { OtelTelemetry } from "../telemetry/otel-telemetry.js";
import { TelemetryServer } from "../telemetry/server.js";
import { checkConfig } from "./validate.js";
import { VERSION } from "./version.js";

/** Runs the gateway until SIGTERM/SIGINT; resolves with the process exit code. */
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
  const logger = createLogger(config.service.telemetry.logs.level);
  for (const d of checked.diagnostics) logger.warn(formatDiagnostic(d));

  const telemetry = new OtelTelemetry(VERSION);
  let ready = false;
  let healthy = true;
  const telemetryServer =
    config.service.telemetry.metrics.level === "none"
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
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.error({ signal }, "second signal: exiting without draining");
      process.exit(130);
    }
    stopRequested({ signal });
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  const service = new Service({ config, plan, logger, telemetry, configDir: checked.configDir });
  try {
    if (telemetryServer) {
      const address = await telemetryServer.start();
      logger.info(
        { endpoint: `${address.address}:${address.port}` },
        "self-telemetry serving /metrics, /healthz, /readyz",
      );
    }
    await service.start({
      reportFatal: (id, error) => {
        healthy = false;
        logger.error({ component: id, err: error.message }, "fatal component error");
        stopRequested({ fatal: error });
      },
    });
  } catch (error) {
    logger.error({ err: errorMessage(error) }, "start failed");
    await telemetryServer?.stop();
    return 1;
  }
  ready = true;
  logger.info(
    { pipelines: plan.pipelines.map((p) => p.id), version: VERSION },
    "Tripline is running",
  );

  const reason = await stopped;
  ready = false;
  logger.info({ signal: reason.signal }, "shutting down: draining in-flight data");
  const timeoutMs = config.service.shutdownTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    service.shutdown().then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
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
