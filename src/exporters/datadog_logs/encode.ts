import { ATTR } from "../../pdata/detection.js";
import type { LogRecord } from "../../pdata/logs.js";
import type { AnyValue, Attributes } from "../../pdata/value.js";
import { isPlainObject } from "../../pdata/value.js";
import { datadogStatusOfRecord } from "./status.js";

/** One log item of the Logs intake v2 body (a JSON array of these). */
export type DatadogLog = Record<string, unknown>;

export interface LogEncodeOptions {
  service?: string | undefined;
  source?: string | undefined;
  hostname?: string | undefined;
  tags: readonly string[];
  tagAttributes: Readonly<Record<string, string | readonly string[]>>;
  maxEntryBytes: number;
}

export const DEFAULT_SOURCE = "tripline";
export const TRUNCATED = "tripline.truncated";
export const DROPPED_ATTRIBUTES = "tripline.dropped_attributes";

/**
 * Top-level keys Datadog interprets itself (reserved attributes and their remapper inputs). A
 * record or resource attribute with one of these names would silently replace the log's level,
 * host, service or message, so it is written as `<product>.<name>` instead (product: the
 * record's detection.source.product, else the ddsource), e.g. execlave's trace `status` as
 * `execlave.status`.
 */
const RESERVED = new Set([
  "ddsource",
  "ddtags",
  "hostname",
  "host",
  "service",
  "message",
  "status",
  "timestamp",
  "source",
]);
const TRACE_KEYS = ["trace_id", "span_id", "dd.trace_id", "dd.span_id"];

/** Datadog truncates tag values at 200 characters; a comma would split the ddtags list. */
function tagValue(value: AnyValue): string | undefined {
  if (value === null || value === undefined) return undefined;
  const text = typeof value === "string" ? value : JSON.stringify(toJson(value));
  const clean = text.replaceAll(",", "_").trim().slice(0, 200);
  return clean === "" ? undefined : clean;
}

/** Attribute values as JSON: numbers stay numbers (so Datadog can make measures of them). */
export function toJson(value: AnyValue): unknown {
  // Strings, booleans and finite numbers, nearly every attribute, pass as they are.
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (Array.isArray(value)) return value.map(toJson);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJson(v);
    return out;
  }
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return value;
}

function bodyText(body: AnyValue): string {
  if (body === null || body === undefined) return "";
  return typeof body === "string" ? body : JSON.stringify(toJson(body));
}

function lookup(record: LogRecord, name: string): AnyValue | undefined {
  return record.attributes[name] ?? record.resource.attributes[name] ?? undefined;
}

type TagEntries = [tag: string, names: readonly string[]][];
const tagEntryCache = new WeakMap<LogEncodeOptions["tagAttributes"], TagEntries>();

/** The tag map as a list, made once per map rather than once per record. */
function tagEntries(tagAttributes: LogEncodeOptions["tagAttributes"]): TagEntries {
  let entries = tagEntryCache.get(tagAttributes);
  if (!entries) {
    entries = Object.entries(tagAttributes).map(([tag, names]) => [
      tag,
      typeof names === "string" ? [names] : names,
    ]);
    tagEntryCache.set(tagAttributes, entries);
  }
  return entries;
}

/**
 * The static tags, then one `tag:value` per tag attribute present on the record or its
 * resource (the first present name of a list wins).
 */
export function recordTags(
  record: LogRecord,
  tags: readonly string[],
  tagAttributes: LogEncodeOptions["tagAttributes"],
): string[] {
  const out = [...tags];
  for (const [tag, names] of tagEntries(tagAttributes)) {
    for (const name of names) {
      const value = lookup(record, name);
      const text = value === undefined ? undefined : tagValue(value);
      if (text !== undefined) {
        out.push(`${tag}:${text}`);
        break;
      }
    }
  }
  return out;
}

/** W3C ids as Datadog correlates them: `dd.trace_id` is the low 64 bits of the trace id. */
function traceFields(record: LogRecord): Record<string, string> {
  const out: Record<string, string> = {};
  if (record.traceId && /^[0-9a-f]{32}$/i.test(record.traceId) && !/^0+$/.test(record.traceId)) {
    out.trace_id = record.traceId.toLowerCase();
    out["dd.trace_id"] = BigInt(`0x${record.traceId.slice(16)}`).toString(10);
  }
  if (record.spanId && /^[0-9a-f]{16}$/i.test(record.spanId) && !/^0+$/.test(record.spanId)) {
    out.span_id = record.spanId.toLowerCase();
    out["dd.span_id"] = BigInt(`0x${record.spanId}`).toString(10);
  }
  return out;
}

function timestampMs(record: LogRecord): number {
  const nanos = record.time > 0n ? record.time : record.observedTime;
  return Number(nanos / 1_000_000n);
}

/** The structured log Datadog receives for one record (before any size limit is applied). */
export function toDatadogLog(record: LogRecord, options: LogEncodeOptions): DatadogLog {
  const product = stringAttr(record, ATTR.sourceProduct);
  const source = options.source ?? product ?? DEFAULT_SOURCE;
  const service = options.service ?? stringAttr(record, "service.name", true);
  const hostname = options.hostname ?? stringAttr(record, "host.name", true);
  const trace = traceFields(record);
  const log: DatadogLog = {
    ddsource: source,
    ddtags: recordTags(record, options.tags, options.tagAttributes).join(","),
    ...(hostname !== undefined ? { hostname } : {}),
    ...(service !== undefined ? { service } : {}),
    message: bodyText(record.body),
    status: datadogStatusOfRecord(record),
    timestamp: timestampMs(record),
    ...trace,
  };
  if (record.severityText) log["otel.severity_text"] = record.severityText;
  if (record.severityNumber) log["otel.severity_number"] = record.severityNumber;
  if (record.eventName) log["otel.event_name"] = record.eventName;
  const traceKeys = Object.keys(trace);
  const taken = traceKeys.length === 0 ? RESERVED : new Set([...RESERVED, ...traceKeys]);
  // Resource first, so a record attribute of the same name wins.
  // Moved names stay under the producing vendor's namespace whatever `source` is configured.
  const ns = product ?? source;
  copyAttributes(log, record.resource.attributes, taken, ns);
  copyAttributes(log, record.attributes, taken, ns);
  return log;
}

function stringAttr(record: LogRecord, name: string, resourceOnly = false): string | undefined {
  const value = resourceOnly ? record.resource.attributes[name] : lookup(record, name);
  return typeof value === "string" && value !== "" ? value : undefined;
}

function copyAttributes(
  log: DatadogLog,
  attributes: Attributes,
  taken: ReadonlySet<string>,
  ns: string,
) {
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    log[taken.has(key) ? `${ns}.${key}` : key] = toJson(attributes[key] as AnyValue);
  }
}

const PROTECTED = new Set([
  ...RESERVED,
  ...TRACE_KEYS,
  "otel.severity_text",
  "otel.severity_number",
  "otel.event_name",
  TRUNCATED,
  DROPPED_ATTRIBUTES,
]);

function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** Cuts a string to `chars` code units without splitting a surrogate pair. */
function cut(text: string, chars: number): string {
  const end = chars > 0 && /[\uD800-\uDBFF]/.test(text[chars - 1] ?? "") ? chars - 1 : chars;
  return text.slice(0, end);
}

export interface SerializedLog {
  json: string;
  truncated: boolean;
}

/**
 * Serialises one log within `maxBytes`. An oversized log is not lost: it is marked
 * `tripline.truncated: true`, its largest attributes are dropped (named in
 * `tripline.dropped_attributes`) and, if that is not enough, its message is shortened.
 */
export function serializeLog(log: DatadogLog, maxBytes: number): SerializedLog {
  const json = JSON.stringify(log);
  if (byteLength(json) <= maxBytes) return { json, truncated: false };

  const out: DatadogLog = { ...log, [TRUNCATED]: true };
  const message = String(out.message ?? "");
  // A message of more than a quarter of the limit is shortened first, so one huge body does
  // not push every attribute out; the rest of the space goes to the largest attributes.
  const share = Math.floor(maxBytes / 4);
  if (byteLength(message) > share) out.message = shorten(message, share);

  const sizes = Object.keys(out)
    .filter((k) => !PROTECTED.has(k))
    .map((k) => ({ key: k, bytes: byteLength(JSON.stringify(out[k]) ?? "") + byteLength(k) + 4 }))
    .sort((a, b) => b.bytes - a.bytes);
  const dropped: string[] = [];
  let size = byteLength(JSON.stringify(out));
  for (const { key, bytes } of sizes) {
    if (size <= maxBytes) break;
    delete out[key];
    dropped.push(key);
    size -= bytes;
  }
  if (dropped.length > 0) out[DROPPED_ATTRIBUTES] = dropped;

  const result = JSON.stringify(out);
  if (byteLength(result) <= maxBytes) return { json: result, truncated: true };
  // Still too large (escaping, or protected fields): shorten the message to what is left.
  const full = String(out.message ?? "");
  let lo = 0;
  let hi = full.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    out.message = cut(full, mid);
    if (byteLength(JSON.stringify(out)) <= maxBytes) lo = mid;
    else hi = mid - 1;
  }
  out.message = cut(full, lo);
  return { json: JSON.stringify(out), truncated: true };
}

/** Shortens text to at most `maxBytes` of UTF-8, ending with an ellipsis. */
function shorten(text: string, maxBytes: number): string {
  const ellipsis = "…";
  const budget = maxBytes - byteLength(ellipsis);
  let chars = Math.min(text.length, budget);
  while (chars > 0 && byteLength(text.slice(0, chars)) > budget) {
    chars = Math.floor(chars * 0.9);
  }
  return cut(text, chars) + ellipsis;
}

/**
 * Groups serialised logs into request bodies (`[a,b,…]`) within the entry and byte limits,
 * keeping their order.
 */
export function packBatches(entries: readonly string[], maxEntries: number, maxBytes: number) {
  const batches: string[][] = [];
  let current: string[] = [];
  let bytes = 2;
  for (const entry of entries) {
    const entryBytes = byteLength(entry);
    const size = entryBytes + (current.length > 0 ? 1 : 0);
    if (current.length > 0 && (current.length >= maxEntries || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 2;
    }
    current.push(entry);
    bytes += entryBytes + (current.length > 1 ? 1 : 0);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export function requestBody(entries: readonly string[]): string {
  return `[${entries.join(",")}]`;
}
