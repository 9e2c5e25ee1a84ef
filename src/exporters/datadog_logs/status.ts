import { ATTR, datadogStatusOf, isDetectionSeverity } from "../../pdata/detection.js";
import type { LogRecord } from "../../pdata/logs.js";

/** Datadog log levels this exporter writes; each survives Datadog's status remapper unchanged. */
export type DatadogStatus = "debug" | "info" | "warn" | "error" | "critical";

/**
 * The Datadog `status` of a record, from its OTel severityNumber ranges (TRACE and DEBUG →
 * debug, INFO → info, WARN → warn, ERROR → error, FATAL → critical), which agree with the
 * detection table (info 9, low 13, medium 14, high 17, critical 21). A record without a
 * severityNumber falls back to its detection.severity, then to info.
 */
export function datadogStatusOfRecord(
  record: Pick<LogRecord, "severityNumber" | "attributes">,
): DatadogStatus {
  const n = record.severityNumber;
  if (n >= 1 && n <= 8) return "debug";
  if (n >= 9 && n <= 12) return "info";
  if (n >= 13 && n <= 16) return "warn";
  if (n >= 17 && n <= 20) return "error";
  if (n >= 21) return "critical";
  const severity = record.attributes[ATTR.severity];
  return isDetectionSeverity(severity) ? (datadogStatusOf(severity) as DatadogStatus) : "info";
}
