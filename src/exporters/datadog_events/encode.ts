import { ATTR, type DetectionSeverity, isDetectionSeverity } from "../../pdata/detection.js";
import type { LogRecord } from "../../pdata/logs.js";
import { recordTags } from "../datadog_logs/encode.js";
import type { DatadogEventsConfig } from "./config.js";
import { compileTemplate, type Template } from "./template.js";

/** Body of `POST /api/v1/events`. */
export interface DatadogEvent {
  title: string;
  text: string;
  alert_type: "error" | "warning" | "info";
  priority: "normal" | "low";
  date_happened: number;
  aggregation_key?: string;
  tags: string[];
  host?: string;
  source_type_name?: string;
}

/** Datadog's documented limits for v1 events. */
export const EVENT_LIMITS = { text: 4000, aggregationKey: 100 } as const;

const ALERT_BY_SEVERITY: Record<DetectionSeverity, DatadogEvent["alert_type"]> = {
  critical: "error",
  high: "error",
  medium: "warning",
  low: "warning",
  info: "info",
};

/** critical/high → error, medium/low → warning, info → info; severityNumber when unlabelled. */
export function alertTypeOf(record: LogRecord): DatadogEvent["alert_type"] {
  const severity = record.attributes[ATTR.severity];
  if (isDetectionSeverity(severity)) return ALERT_BY_SEVERITY[severity];
  if (record.severityNumber >= 17) return "error";
  if (record.severityNumber >= 13) return "warning";
  return "info";
}

function limit(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Templates compiled once per exporter; `encode` turns one record into one event. */
export class EventEncoder {
  private readonly title: Template;
  private readonly text: Template;
  private readonly aggregationKey: Template;

  constructor(private readonly config: DatadogEventsConfig) {
    this.title = compileTemplate(config.title);
    this.text = compileTemplate(config.text);
    this.aggregationKey = compileTemplate(config.aggregation_key);
  }

  encode(record: LogRecord): DatadogEvent {
    const nanos = record.time > 0n ? record.time : record.observedTime;
    const key = this.aggregationKey(record);
    const host = record.resource.attributes["host.name"];
    return {
      title: this.title(record).trim() || record.eventName || "detection",
      text: limit(this.text(record), EVENT_LIMITS.text),
      alert_type: alertTypeOf(record),
      priority: this.config.priority,
      date_happened: Number(nanos / 1_000_000_000n),
      ...(key ? { aggregation_key: limit(key, EVENT_LIMITS.aggregationKey) } : {}),
      tags: recordTags(record, this.config.tags, this.config.tag_attributes),
      ...(typeof host === "string" && host ? { host } : {}),
      ...(this.config.source_type_name ? { source_type_name: this.config.source_type_name } : {}),
    };
  }
}
