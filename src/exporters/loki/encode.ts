/**
 * Log records → Loki streams → push bodies (protobuf or JSON). Pure functions; the exporter
 * decides which label set a record gets (the stream cap) and sends the bodies.
 */
import type { LogRecord } from "../../pdata/logs.js";
import { LOKI_LIMITS } from "./config.js";
import { detectionSeverityOf, textValue } from "./line.js";
import { PushRequestType } from "./proto.js";

export type Labels = Record<string, string>;
export type MetadataPair = [name: string, value: string];

export interface LokiEntry {
  /** Nanoseconds since the epoch. */
  time: bigint;
  line: string;
  metadata: MetadataPair[];
}

export interface LokiStream {
  labels: Labels;
  entries: LokiEntry[];
}

/** Loki stores a label with an empty value as absent; a stream needs at least one label. */
export const FALLBACK_LABELS: Labels = { service_name: "unknown_service" };
export const OVERFLOW_LABELS: Labels = { tripline_overflow: "true" };

/** Attribute names as Loki label / structured metadata names (`service.name` → `service_name`). */
export function sanitizeName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_]/g, "_");
  return /^[0-9]/.test(clean) ? `_${clean}` : clean;
}

/** Lone surrogates as U+FFFD, so every value is valid UTF-8 on the wire (Loki checks). */
export function wellFormed(text: string): string {
  return text.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    "\uFFFD",
  );
}

function labelValue(value: string): string {
  const text = wellFormed(value);
  if (Buffer.byteLength(text) <= LOKI_LIMITS.maxLabelValueBytes) return text;
  return Buffer.from(text)
    .subarray(0, LOKI_LIMITS.maxLabelValueBytes)
    .toString()
    .replace(/\uFFFD$/, "");
}

function lookup(record: LogRecord, attribute: string): string {
  if (attribute === "detection.severity") return detectionSeverityOf(record) ?? "";
  return textValue(record.attributes[attribute] ?? record.resource.attributes[attribute]);
}

/** The stream labels of a record from the configured label → attribute map, sorted by name. */
export function recordLabels(record: LogRecord, labelMap: Record<string, string>): Labels {
  const labels: Labels = {};
  for (const name of Object.keys(labelMap).sort()) {
    const value = lookup(record, labelMap[name]!);
    if (value !== "") labels[name] = labelValue(value);
  }
  return Object.keys(labels).length === 0 ? { ...FALLBACK_LABELS } : labels;
}

/** Structured metadata pairs: trace_id/span_id from the record's ids, the rest from attributes. */
export function recordMetadata(record: LogRecord, names: readonly string[]): MetadataPair[] {
  const pairs: MetadataPair[] = [];
  for (const name of names) {
    let value: string;
    if (name === "trace_id") value = record.traceId ?? textValue(record.attributes[name]);
    else if (name === "span_id") value = record.spanId ?? textValue(record.attributes[name]);
    else value = lookup(record, name);
    if (value !== "") pairs.push([sanitizeName(name), wellFormed(value)]);
  }
  return pairs;
}

/** The Prometheus-style selector Loki's protobuf StreamAdapter carries: `{a="x", b="y"}`. */
export function selector(labels: Labels): string {
  const parts = Object.keys(labels)
    .sort()
    .map((name) => {
      const value = labels[name]!.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
      return `${name}="${value}"`;
    });
  return `{${parts.join(", ")}}`;
}

export function entryTime(record: LogRecord): bigint {
  return record.time > 0n ? record.time : record.observedTime;
}

function byTime(a: LokiEntry, b: LokiEntry): number {
  return a.time < b.time ? -1 : a.time > b.time ? 1 : 0;
}

/** Entries in time order within each stream, as Loki's ordering checks expect. */
export function sortStreams(streams: LokiStream[]): LokiStream[] {
  for (const stream of streams) stream.entries.sort(byTime);
  return streams;
}

/** The bytes an entry costs against max_request_bytes (its line and metadata). */
export function entryBytes(entry: LokiEntry): number {
  let n = Buffer.byteLength(entry.line) + 16;
  for (const [k, v] of entry.metadata) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

/** Splits streams into pushes of at most `maxBytes` (a single larger entry goes alone). */
export function splitPushes(streams: LokiStream[], maxBytes: number): LokiStream[][] {
  const pushes: LokiStream[][] = [];
  let current: LokiStream[] = [];
  let bytes = 0;
  for (const stream of streams) {
    const labelBytes = Buffer.byteLength(selector(stream.labels));
    let part: LokiStream | undefined;
    for (const entry of stream.entries) {
      const size = entryBytes(entry) + (part ? 0 : labelBytes);
      if (bytes > 0 && bytes + size > maxBytes) {
        pushes.push(current);
        current = [];
        bytes = 0;
        part = undefined;
      }
      if (!part) {
        part = { labels: stream.labels, entries: [] };
        current.push(part);
        bytes += labelBytes;
      }
      part.entries.push(entry);
      bytes += entryBytes(entry);
    }
  }
  if (current.length > 0) pushes.push(current);
  return pushes;
}

export function encodeProtobuf(streams: LokiStream[]): Uint8Array {
  const message = PushRequestType.fromObject({
    streams: streams.map((stream) => ({
      labels: selector(stream.labels),
      entries: stream.entries.map((entry) => ({
        timestamp: {
          seconds: (entry.time / 1_000_000_000n).toString(),
          nanos: Number(entry.time % 1_000_000_000n),
        },
        line: entry.line,
        structuredMetadata: entry.metadata.map(([name, value]) => ({ name, value })),
      })),
    })),
  });
  return PushRequestType.encode(message).finish();
}

/** The JSON push body: ns timestamps as strings, metadata as a third element when present. */
export function encodeJson(streams: LokiStream[]): string {
  return JSON.stringify({
    streams: streams.map((stream) => ({
      stream: stream.labels,
      values: stream.entries.map((entry) =>
        entry.metadata.length > 0
          ? [entry.time.toString(), entry.line, Object.fromEntries(entry.metadata)]
          : [entry.time.toString(), entry.line],
      ),
    })),
  });
}
