/**
 * A hand-written decoder for ExportLogsServiceRequest, straight into the flat LogRecord model.
 *
 * protobufjs' reflective decoder builds a message object per KeyValue and AnyValue, a Long per
 * 64-bit field, and sets AnyValue's oneof through a setter that deletes the six other members:
 * on an OTLP passthrough that was most of the CPU and garbage. This reads the same wire format
 * (through proto-read.ts, which falls back to protobufjs' Reader off its fast paths) and keeps
 * protobufjs' rules, so the output and the errors stay the same: a field with an unexpected
 * wire type is skipped like an unknown field, a message field that repeats merges into the
 * first, the last member of a oneof wins, strings must be valid UTF-8, nesting stops at
 * protobufjs' recursion limit, and a malformed message throws (decodeLogsProto turns that into
 * a PermanentError). Checks on values (severity range, id lengths) are reported only once the
 * whole request has been read, so malformed bytes further on still win, as they did when
 * decoding came first.
 */
import type { LogBatch, LogRecord } from "./logs.js";
import { int64Value, type LongLike } from "./otlp-proto-common.js";
import {
  bool,
  bytesCopy,
  bytesInPlace,
  Cursor,
  double,
  enter,
  fixed32,
  fixed64,
  hex,
  int64,
  leave,
  StringTable,
  skip,
  string,
  uint32,
} from "./proto-read.js";
import type { Resource, Scope } from "./resource.js";
import type { AnyValue, Attributes } from "./value.js";

const LENGTH = 2;
const VARINT = 0;
const FIXED64 = 1;
const FIXED32 = 5;

/** Attribute keys, internalised for the property stores that follow. */
const KEYS = new StringTable(10, 64, true);
/** Short values: severities, names, categories repeat across records and requests. */
const VALUES = new StringTable(12, 32, false);

/** The check that failed first, kept until the bytes have all been read. */
export interface DeferredError {
  path: string;
  message: string;
}

type Kind = "array" | "kvlist" | "other";

function readAnyValue(c: Cursor, depth: number): AnyValue {
  const outer = enter(c, depth);
  let value: AnyValue = null;
  let kind: Kind = "other";
  while (c.pos < c.end) {
    const tag = uint32(c);
    const field = tag >>> 3;
    const wire = tag & 7;
    switch (field) {
      case 1:
        if (wire !== LENGTH) break;
        value = string(c, VALUES);
        kind = "other";
        continue;
      case 2:
        if (wire !== VARINT) break;
        value = bool(c);
        kind = "other";
        continue;
      case 3: {
        if (wire !== VARINT) break;
        const n = int64(c);
        value = typeof n === "number" ? n : int64Value(n as unknown as LongLike);
        kind = "other";
        continue;
      }
      case 4:
        if (wire !== FIXED64) break;
        value = double(c);
        kind = "other";
        continue;
      case 5: {
        if (wire !== LENGTH) break;
        // A repeated message field merges: its values are appended to the first.
        const into: AnyValue[] = kind === "array" ? (value as AnyValue[]) : [];
        readArrayValue(c, depth + 1, into);
        value = into;
        kind = "array";
        continue;
      }
      case 6: {
        if (wire !== LENGTH) break;
        const into: Attributes = kind === "kvlist" ? (value as Attributes) : {};
        readKeyValueList(c, depth + 1, into);
        value = into;
        kind = "kvlist";
        continue;
      }
      case 7:
        if (wire !== LENGTH) break;
        value = bytesCopy(c);
        kind = "other";
        continue;
    }
    skip(c, wire, depth, field);
  }
  leave(c, outer);
  return value;
}

function readArrayValue(c: Cursor, depth: number, into: AnyValue[]): void {
  const outer = enter(c, depth);
  while (c.pos < c.end) {
    const tag = uint32(c);
    const wire = tag & 7;
    if (tag >>> 3 === 1 && wire === LENGTH) into.push(readAnyValue(c, depth + 1));
    else skip(c, wire, depth, tag >>> 3);
  }
  leave(c, outer);
}

function readKeyValueList(c: Cursor, depth: number, into: Attributes): void {
  const outer = enter(c, depth);
  while (c.pos < c.end) {
    const tag = uint32(c);
    const wire = tag & 7;
    if (tag >>> 3 === 1 && wire === LENGTH) readKeyValue(c, depth + 1, into);
    else skip(c, wire, depth, tag >>> 3);
  }
  leave(c, outer);
}

/** One KeyValue into `into`; a later key of the same name wins, as before. */
function readKeyValue(c: Cursor, depth: number, into: Attributes): void {
  const outer = enter(c, depth);
  let key = "";
  let value: AnyValue = null;
  let seenValue = false;
  while (c.pos < c.end) {
    const tag = uint32(c);
    if (tag === 0x0a) {
      key = string(c, KEYS);
      continue;
    }
    if (tag === 0x12) {
      value = seenValue ? mergeAnyValue(value, c, depth + 1) : readAnyValue(c, depth + 1);
      seenValue = true;
      continue;
    }
    skip(c, tag & 7, depth, tag >>> 3);
  }
  leave(c, outer);
  // A sender-chosen "__proto__" key must stay data, not replace the prototype.
  if (key === "__proto__") defineData(into, key, value);
  else into[key] = value;
}

function defineData(into: Attributes, key: string, value: AnyValue): void {
  Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A KeyValue whose value field repeats: protobuf merges the second AnyValue into the first,
 * which appends array and kvlist members of the same kind; any other member replaces.
 */
function mergeAnyValue(first: AnyValue, c: Cursor, depth: number): AnyValue {
  const second = readAnyValue(c, depth);
  // An AnyValue with no member set leaves the first as it was.
  if (second === null) return first;
  if (Array.isArray(first) && Array.isArray(second)) return [...first, ...second];
  if (isMap(first) && isMap(second)) {
    for (const key of Object.keys(second)) {
      if (key === "__proto__") defineData(first, key, second[key] as AnyValue);
      else first[key] = second[key] as AnyValue;
    }
    return first;
  }
  return second;
}

function isMap(value: AnyValue): value is Attributes {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array)
  );
}

interface PendingResource {
  attributes: Attributes;
  droppedAttributesCount: number;
}

function readResource(c: Cursor, depth: number, into: PendingResource): void {
  const outer = enter(c, depth);
  while (c.pos < c.end) {
    const tag = uint32(c);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === LENGTH) {
      readKeyValue(c, depth + 1, into.attributes);
      continue;
    }
    if (field === 2 && wire === VARINT) {
      into.droppedAttributesCount = uint32(c);
      continue;
    }
    skip(c, wire, depth, field);
  }
  leave(c, outer);
}

interface PendingScope {
  name: string;
  version: string;
  attributes: Attributes;
}

function readScope(c: Cursor, depth: number, into: PendingScope): void {
  const outer = enter(c, depth);
  while (c.pos < c.end) {
    const tag = uint32(c);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === LENGTH) into.name = string(c, VALUES);
    else if (field === 2 && wire === LENGTH) into.version = string(c, VALUES);
    else if (field === 3 && wire === LENGTH) readKeyValue(c, depth + 1, into.attributes);
    else if (field === 4 && wire === VARINT) uint32(c);
    else skip(c, wire, depth, field);
  }
  leave(c, outer);
}

/** One request's decoding: the cursor, the records so far and the first failed value check. */
interface Decoding {
  c: Cursor;
  out: LogRecord[];
  failed: DeferredError | undefined;
}

function readLogRecord(d: Decoding, depth: number, i: number, j: number, k: number): void {
  const c = d.c;
  const outer = enter(c, depth);
  const record: LogRecord = {
    time: 0n,
    observedTime: 0n,
    severityNumber: 0,
    severityText: "",
    body: null,
    attributes: {},
    resource: undefined as unknown as Resource,
    scope: undefined as unknown as Scope,
  };
  let body: AnyValue = null;
  let hasBody = false;
  let eventName = "";
  let flags = 0;
  let dropped = 0;
  // Where the last traceId / spanId bytes are: converted once, after the record is read.
  let traceStart = 0;
  let traceEnd = 0;
  let spanStart = 0;
  let spanEnd = 0;
  while (c.pos < c.end) {
    const tag = uint32(c);
    const field = tag >>> 3;
    const wire = tag & 7;
    switch (field) {
      case 1:
        if (wire !== FIXED64) break;
        record.time = fixed64(c);
        continue;
      case 11:
        if (wire !== FIXED64) break;
        record.observedTime = fixed64(c);
        continue;
      case 2:
        if (wire !== VARINT) break;
        record.severityNumber = uint32(c) | 0;
        continue;
      case 3:
        if (wire !== LENGTH) break;
        record.severityText = string(c, VALUES);
        continue;
      case 5:
        if (wire !== LENGTH) break;
        body = hasBody ? mergeAnyValue(body, c, depth + 1) : readAnyValue(c, depth + 1);
        hasBody = true;
        continue;
      case 6:
        if (wire !== LENGTH) break;
        readKeyValue(c, depth + 1, record.attributes);
        continue;
      case 7:
        if (wire !== VARINT) break;
        dropped = uint32(c);
        continue;
      case 8:
        if (wire !== FIXED32) break;
        flags = fixed32(c);
        continue;
      case 9:
        if (wire !== LENGTH) break;
        traceStart = bytesInPlace(c);
        traceEnd = c.pos;
        continue;
      case 10:
        if (wire !== LENGTH) break;
        spanStart = bytesInPlace(c);
        spanEnd = c.pos;
        continue;
      case 12:
        if (wire !== LENGTH) break;
        eventName = string(c, VALUES);
        continue;
    }
    skip(c, wire, depth, field);
  }
  leave(c, outer);
  record.body = body;
  if (eventName) record.eventName = eventName;
  if (flags) record.flags = flags;
  if (dropped) record.droppedAttributesCount = dropped;
  if (d.failed === undefined) {
    if (record.severityNumber < 0 || record.severityNumber > 24) {
      fail(d, i, j, k, "severityNumber", `expected 0-24, got ${record.severityNumber}`);
    } else if (traceEnd > traceStart && traceEnd - traceStart !== 16) {
      fail(d, i, j, k, "traceId", `expected 16 bytes, got ${traceEnd - traceStart}`);
    } else if (spanEnd > spanStart && spanEnd - spanStart !== 8) {
      fail(d, i, j, k, "spanId", `expected 8 bytes, got ${spanEnd - spanStart}`);
    }
  }
  if (traceEnd > traceStart) record.traceId = hex(c, traceStart, traceEnd);
  if (spanEnd > spanStart) record.spanId = hex(c, spanStart, spanEnd);
  d.out.push(record);
}

function fail(d: Decoding, i: number, j: number, k: number, field: string, message: string) {
  d.failed = { path: `resourceLogs[${i}].scopeLogs[${j}].logRecords[${k}].${field}`, message };
}

function readScopeLogs(d: Decoding, depth: number, i: number, j: number): void {
  const c = d.c;
  const outer = enter(c, depth);
  const pending: PendingScope = { name: "", version: "", attributes: {} };
  const start = d.out.length;
  while (c.pos < c.end) {
    const tag = uint32(c);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === LENGTH) readScope(c, depth + 1, pending);
    else if (field === 2 && wire === LENGTH) {
      readLogRecord(d, depth + 1, i, j, d.out.length - start);
    } else if (field === 3 && wire === LENGTH) string(c, VALUES);
    else skip(c, wire, depth, field);
  }
  leave(c, outer);
  const scope: Scope = { name: pending.name };
  if (pending.version) scope.version = pending.version;
  if (Object.keys(pending.attributes).length > 0) scope.attributes = pending.attributes;
  const out = d.out;
  for (let n = start; n < out.length; n++) out[n]!.scope = scope;
}

function readResourceLogs(d: Decoding, depth: number, i: number): void {
  const c = d.c;
  const outer = enter(c, depth);
  const pending: PendingResource = { attributes: {}, droppedAttributesCount: 0 };
  let schemaUrl = "";
  const start = d.out.length;
  let scopes = 0;
  while (c.pos < c.end) {
    const tag = uint32(c);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === LENGTH) readResource(c, depth + 1, pending);
    else if (field === 2 && wire === LENGTH) {
      readScopeLogs(d, depth + 1, i, scopes++);
    } else if (field === 3 && wire === LENGTH) schemaUrl = string(c, VALUES);
    else skip(c, wire, depth, field);
  }
  leave(c, outer);
  const resource: Resource = { attributes: pending.attributes };
  if (pending.droppedAttributesCount) {
    resource.droppedAttributesCount = pending.droppedAttributesCount;
  }
  if (schemaUrl) resource.schemaUrl = schemaUrl;
  const out = d.out;
  for (let n = start; n < out.length; n++) out[n]!.resource = resource;
}

/**
 * Reads the request; returns the batch, or the first failed value check (with the field's
 * path) for the caller to throw. Malformed bytes throw.
 */
export function readLogsRequest(buf: Uint8Array): { batch: LogBatch } | DeferredError {
  const c = new Cursor(buf);
  const d: Decoding = { c, out: [], failed: undefined };
  let index = 0;
  while (c.pos < c.end) {
    const tag = uint32(c);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === LENGTH) readResourceLogs(d, 1, index++);
    else skip(c, wire, 0, field);
  }
  return d.failed ?? { batch: d.out };
}
