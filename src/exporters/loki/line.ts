/** The log line of a record: JSON, logfmt or the body alone. */
import { severityFromNumber } from "../../pdata/detection.js";
import type { LogRecord } from "../../pdata/logs.js";
import { type AnyValue, isPlainObject } from "../../pdata/value.js";

export type LineFormat = "json" | "logfmt" | "body";

/** AnyValue as plain JSON: safe bigints as numbers, bytes as base64. */
export function jsonValue(value: AnyValue): unknown {
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (Array.isArray(value)) return value.map(jsonValue);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = jsonValue(v);
    return out;
  }
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return value;
}

/** A value as one string: strings as they are, anything else as JSON. */
export function textValue(value: AnyValue | undefined): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(jsonValue(value));
}

/**
 * Grafana's level words (it colours lines by a `level` field): from severityNumber ranges,
 * else from detection.severity.
 */
export function levelOf(record: LogRecord): string | undefined {
  const n = record.severityNumber;
  if (n >= 1 && n <= 4) return "trace";
  if (n >= 5 && n <= 8) return "debug";
  if (n >= 9 && n <= 12) return "info";
  if (n >= 13 && n <= 16) return "warn";
  if (n >= 17 && n <= 20) return "error";
  if (n >= 21 && n <= 24) return "critical";
  const severity = record.attributes["detection.severity"];
  if (typeof severity !== "string") return undefined;
  return { info: "info", low: "warn", medium: "warn", high: "error", critical: "critical" }[
    severity
  ];
}

/** The detection severity of a record: its attribute, else from its severityNumber. */
export function detectionSeverityOf(record: LogRecord): string | undefined {
  const severity = record.attributes["detection.severity"];
  if (typeof severity === "string" && severity !== "") return severity;
  return severityFromNumber(record.severityNumber);
}

/**
 * The fields of a structured line: the body (`message` when it is text, `body` otherwise),
 * level, severity_text, event_name, then the record's attributes and its resource's, except
 * those `skip` names (already labels or structured metadata). A record attribute wins over a
 * resource attribute of the same name.
 */
export function lineFields(record: LogRecord, skip: ReadonlySet<string>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (typeof record.body === "string") fields.message = record.body;
  else if (record.body !== null && record.body !== undefined) fields.body = jsonValue(record.body);
  const level = levelOf(record);
  if (level) fields.level = level;
  if (record.severityText) fields.severity_text = record.severityText;
  if (record.eventName) fields.event_name = record.eventName;
  if (record.traceId && !skip.has("trace_id")) fields.trace_id = record.traceId;
  if (record.spanId && !skip.has("span_id")) fields.span_id = record.spanId;
  for (const [key, value] of Object.entries(record.attributes)) {
    if (!skip.has(key) && !(key in fields)) fields[key] = jsonValue(value);
  }
  for (const [key, value] of Object.entries(record.resource.attributes)) {
    if (!skip.has(key) && !(key in fields)) fields[key] = jsonValue(value);
  }
  return fields;
}

function logfmtValue(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (text !== "" && !/[\s="\\]/.test(text)) return text;
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r")}"`;
}

function logfmtKey(key: string): string {
  return key.replace(/[\s="\\]/g, "_");
}

export function formatLine(
  record: LogRecord,
  format: LineFormat,
  skip: ReadonlySet<string>,
): string {
  if (format === "body") return textValue(record.body);
  const fields = lineFields(record, skip);
  if (format === "json") return JSON.stringify(fields);
  return Object.entries(fields)
    .map(([k, v]) => `${logfmtKey(k)}=${logfmtValue(v)}`)
    .join(" ");
}

/** Cuts a line to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(line: string, maxBytes: number): { line: string; truncated: boolean } {
  if (Buffer.byteLength(line) <= maxBytes) return { line, truncated: false };
  const bytes = Buffer.from(line);
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) to the start of a character.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return { line: bytes.subarray(0, end).toString(), truncated: true };
}
