// Baseline 2, hand-written: what a user would write with the OpenTelemetry JS SDK for the same
// job. Parse each NDJSON line, emit one log record with a few attributes, and let the SDK's
// BatchLogRecordProcessor ship OTLP/HTTP protobuf. Note what the SDK does differently from the
// gateway: it answers the sender before anything is exported, and drops records when its queue
// is full (the queue is raised here from 2048 so a burst is not lost outright).
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs";
import { listen, SEVERITY_NUMBER } from "./http.mjs";

const exporter = new OTLPLogExporter({
  url: process.env.BENCH_SINK_URL ?? "http://127.0.0.1:4318/sdk/v1/logs",
});
const provider = new LoggerProvider({
  resource: resourceFromAttributes({ "service.name": "detections-bridge" }),
  processors: [
    new BatchLogRecordProcessor({
      exporter,
      maxQueueSize: 100_000,
      maxExportBatchSize: 1000,
      scheduledDelayMillis: 200,
    }),
  ],
});
const logger = provider.getLogger("detections-bridge");

listen(async (lines) => {
  let accepted = 0;
  for (const line of lines) {
    if (line === "") continue;
    const item = JSON.parse(line);
    const severityNumber = SEVERITY_NUMBER[item.severity] ?? 9;
    logger.emit({
      timestamp: new Date(item.detected_at),
      severityNumber,
      severityText: item.severity,
      eventName: "security.detection",
      body: item.title,
      attributes: {
        "detection.id": item.detection_id,
        "detection.severity": item.severity,
        "detection.category": item.category,
        "detection.action": item.action,
        "gen_ai.agent.id": item.surface?.agent_id,
        "k8s.cluster.name": item.workload?.cluster,
        alert: severityNumber >= SEVERITY_NUMBER.high,
        env: "bench",
        team: "platform",
      },
    });
    accepted++;
  }
  return accepted;
});

process.on("SIGTERM", () => provider.shutdown().then(() => process.exit(0)));
