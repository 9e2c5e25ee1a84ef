/**
 * A hand-written decoder for ExportLogsServiceRequest, straight into the flat LogRecord model.
 *
 * protobufjs' reflective decoder builds a message object per KeyValue and AnyValue, a Long per
 * 64-bit field, and sets AnyValue's oneof through a setter that deletes the six other members:
 * on an OTLP passthrough that was most of the CPU and garbage. This reads the same wire format
 * with protobufjs' Reader and keeps its rules, so the output and the errors stay the same:
 * a field with an unexpected wire type is skipped like an unknown field, a message field that
 * repeats merges into the first, the last member of a oneof wins, strings must be valid UTF-8,
 * nesting stops at protobufjs' recursion limit, and a malformed message throws (decodeLogsProto
 * turns that into a PermanentError). Checks on values (severity range, id lengths) run only
 * once the whole request has been read, as they did when decoding came first.
 */
import protobuf from "protobufjs";
import type { LogBatch, LogRecord } from "./logs.js";
import { int64Value, type LongLike } from "./otlp-proto-common.js";
import type { Resource, Scope } from "./resource.js";
import type { AnyValue, Attributes } from "./value.js";

const { Reader } = protobuf;
type Reader = protobuf.Reader;

const LENGTH = 2;
const VARINT = 0;
const FIXED64 = 1;
const FIXED32 = 5;

/** The check that failed first, kept until the bytes have all been read. */
export interface DeferredError {
  path: string;
  message: string;
}

/** Sets the reader's end to the end of a length-delimited message; returns the outer end. */
function enter(r: Reader, depth: number): [end: number, outer: number] {
  if (depth > Reader.recursionLimit) throw Error("max depth exceeded");
  const length = r.uint32();
  const end = r.pos + length;
  if (end > r.len) throw RangeError("index out of range");
  const outer = r.len;
  r.len = end;
  return [end, outer];
}

function leave(r: Reader, end: number, outer: number): void {
  if (r.pos !== end) throw RangeError("index out of range");
  r.len = outer;
}

function skip(r: Reader, wire: number, depth: number, field: number): void {
  r.skipType(wire, depth, field);
}

/** An unsigned 64-bit value from its halves, as the bigint the data model keeps times in. */
function uint64Of(low: number, high: number): bigint {
  // Below 2^53 one conversion suffices; above, the halves are joined as bigints.
  return high < 0x200000 ? BigInt(high * 4294967296 + low) : (BigInt(high) << 32n) | BigInt(low);
}

function readFixed64(r: Reader): bigint {
  const low = r.fixed32();
  const high = r.fixed32();
  return uint64Of(low, high);
}

type Kind = "array" | "kvlist" | "other";

function readAnyValue(r: Reader, depth: number): AnyValue {
  const [end, outer] = enter(r, depth);
  let value: AnyValue = null;
  let kind: Kind = "other";
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    switch (field) {
      case 1:
        if (wire !== LENGTH) break;
        value = r.stringVerify();
        kind = "other";
        continue;
      case 2:
        if (wire !== VARINT) break;
        value = r.bool();
        kind = "other";
        continue;
      case 3:
        if (wire !== VARINT) break;
        value = int64Value(r.int64() as unknown as LongLike);
        kind = "other";
        continue;
      case 4:
        if (wire !== FIXED64) break;
        value = r.double();
        kind = "other";
        continue;
      case 5: {
        if (wire !== LENGTH) break;
        // A repeated message field merges: its values are appended to the first.
        const into: AnyValue[] = kind === "array" ? (value as AnyValue[]) : [];
        readArrayValue(r, depth + 1, into);
        value = into;
        kind = "array";
        continue;
      }
      case 6: {
        if (wire !== LENGTH) break;
        const into: Attributes = kind === "kvlist" ? (value as Attributes) : {};
        readKeyValueList(r, depth + 1, into);
        value = into;
        kind = "kvlist";
        continue;
      }
      case 7:
        if (wire !== LENGTH) break;
        // A copy: the reader's bytes are a view into the request, which would stay alive.
        value = new Uint8Array(r.bytes());
        kind = "other";
        continue;
    }
    skip(r, wire, depth, field);
  }
  leave(r, end, outer);
  return value;
}

function readArrayValue(r: Reader, depth: number, into: AnyValue[]): void {
  const [end, outer] = enter(r, depth);
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    if (tag >>> 3 === 1 && wire === LENGTH) into.push(readAnyValue(r, depth + 1));
    else skip(r, wire, depth, tag >>> 3);
  }
  leave(r, end, outer);
}

function readKeyValueList(r: Reader, depth: number, into: Attributes): void {
  const [end, outer] = enter(r, depth);
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    if (tag >>> 3 === 1 && wire === LENGTH) readKeyValue(r, depth + 1, into);
    else skip(r, wire, depth, tag >>> 3);
  }
  leave(r, end, outer);
}

/** One KeyValue into `into`; a later key of the same name wins, as before. */
function readKeyValue(r: Reader, depth: number, into: Attributes): void {
  const [end, outer] = enter(r, depth);
  let key = "";
  let value: AnyValue = null;
  let seenValue = false;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === LENGTH) {
      key = r.stringVerify();
      continue;
    }
    if (field === 2 && wire === LENGTH) {
      value = seenValue ? mergeAnyValue(value, r, depth + 1) : readAnyValue(r, depth + 1);
      seenValue = true;
      continue;
    }
    skip(r, wire, depth, field);
  }
  leave(r, end, outer);
  setAttribute(into, key, value);
}

/**
 * A KeyValue whose value field repeats: protobuf merges the second AnyValue into the first,
 * which appends array and kvlist members of the same kind; any other member replaces.
 */
function mergeAnyValue(first: AnyValue, r: Reader, depth: number): AnyValue {
  const second = readAnyValue(r, depth);
  // An AnyValue with no member set leaves the first as it was.
  if (second === null) return first;
  if (Array.isArray(first) && Array.isArray(second)) return [...first, ...second];
  if (isMap(first) && isMap(second)) {
    for (const key of Object.keys(second)) setAttribute(first, key, second[key] as AnyValue);
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

function setAttribute(into: Attributes, key: string, value: AnyValue): void {
  // defineProperty: a sender-chosen "__proto__" key must stay data, not replace the prototype.
  if (key === "__proto__") {
    Object.defineProperty(into, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else into[key] = value;
}

interface PendingResource {
  attributes: Attributes;
  droppedAttributesCount: number;
}

function readResource(r: Reader, depth: number, into: PendingResource): void {
  const [end, outer] = enter(r, depth);
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === LENGTH) {
      readKeyValue(r, depth + 1, into.attributes);
      continue;
    }
    if (field === 2 && wire === VARINT) {
      into.droppedAttributesCount = r.uint32();
      continue;
    }
    skip(r, wire, depth, field);
  }
  leave(r, end, outer);
}

interface PendingScope {
  name: string;
  version: string;
  attributes: Attributes;
}

function readScope(r: Reader, depth: number, into: PendingScope): void {
  const [end, outer] = enter(r, depth);
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === LENGTH) into.name = r.stringVerify();
    else if (field === 2 && wire === LENGTH) into.version = r.stringVerify();
    else if (field === 3 && wire === LENGTH) readKeyValue(r, depth + 1, into.attributes);
    else if (field === 4 && wire === VARINT) r.uint32();
    else skip(r, wire, depth, field);
  }
  leave(r, end, outer);
}

/** A record as read, with what is checked after the whole request has been read. */
interface PendingRecord {
  record: LogRecord;
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  /** Indices of its ResourceLogs, ScopeLogs and LogRecord, for an error's path. */
  at: [number, number, number];
}

function readLogRecord(r: Reader, depth: number, at: [number, number, number]): PendingRecord {
  const [end, outer] = enter(r, depth);
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
  let traceId: Uint8Array | undefined;
  let spanId: Uint8Array | undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    switch (field) {
      case 1:
        if (wire !== FIXED64) break;
        record.time = readFixed64(r);
        continue;
      case 11:
        if (wire !== FIXED64) break;
        record.observedTime = readFixed64(r);
        continue;
      case 2:
        if (wire !== VARINT) break;
        record.severityNumber = r.int32();
        continue;
      case 3:
        if (wire !== LENGTH) break;
        record.severityText = r.stringVerify();
        continue;
      case 5:
        if (wire !== LENGTH) break;
        body = hasBody ? mergeAnyValue(body, r, depth + 1) : readAnyValue(r, depth + 1);
        hasBody = true;
        continue;
      case 6:
        if (wire !== LENGTH) break;
        readKeyValue(r, depth + 1, record.attributes);
        continue;
      case 7:
        if (wire !== VARINT) break;
        dropped = r.uint32();
        continue;
      case 8:
        if (wire !== FIXED32) break;
        flags = r.fixed32();
        continue;
      case 9:
        if (wire !== LENGTH) break;
        traceId = r.bytes();
        continue;
      case 10:
        if (wire !== LENGTH) break;
        spanId = r.bytes();
        continue;
      case 12:
        if (wire !== LENGTH) break;
        eventName = r.stringVerify();
        continue;
    }
    skip(r, wire, depth, field);
  }
  leave(r, end, outer);
  record.body = body;
  if (eventName) record.eventName = eventName;
  if (flags) record.flags = flags;
  if (dropped) record.droppedAttributesCount = dropped;
  return { record, traceId, spanId, at };
}

function readScopeLogs(r: Reader, depth: number, i: number, j: number, out: PendingRecord[]) {
  const [end, outer] = enter(r, depth);
  const pending: PendingScope = { name: "", version: "", attributes: {} };
  const records: PendingRecord[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === LENGTH) readScope(r, depth + 1, pending);
    else if (field === 2 && wire === LENGTH) {
      records.push(readLogRecord(r, depth + 1, [i, j, records.length]));
    } else if (field === 3 && wire === LENGTH) r.stringVerify();
    else skip(r, wire, depth, field);
  }
  leave(r, end, outer);
  const scope: Scope = { name: pending.name };
  if (pending.version) scope.version = pending.version;
  if (Object.keys(pending.attributes).length > 0) scope.attributes = pending.attributes;
  for (const p of records) {
    p.record.scope = scope;
    out.push(p);
  }
}

function readResourceLogs(r: Reader, depth: number, i: number, out: PendingRecord[]): void {
  const [end, outer] = enter(r, depth);
  const pending: PendingResource = { attributes: {}, droppedAttributesCount: 0 };
  let schemaUrl = "";
  const start = out.length;
  let scopes = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === LENGTH) readResource(r, depth + 1, pending);
    else if (field === 2 && wire === LENGTH) {
      readScopeLogs(r, depth + 1, i, scopes++, out);
    } else if (field === 3 && wire === LENGTH) schemaUrl = r.stringVerify();
    else skip(r, wire, depth, field);
  }
  leave(r, end, outer);
  const resource: Resource = { attributes: pending.attributes };
  if (pending.droppedAttributesCount) {
    resource.droppedAttributesCount = pending.droppedAttributesCount;
  }
  if (schemaUrl) resource.schemaUrl = schemaUrl;
  for (let i = start; i < out.length; i++) out[i]!.record.resource = resource;
}

function idHex(bytes: Uint8Array | undefined, size: number): string | undefined | Error {
  if (!bytes || bytes.length === 0) return undefined;
  if (bytes.length !== size) return Error(`expected ${size} bytes, got ${bytes.length}`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/**
 * Reads the request; returns the batch, or the first failed value check (with the field's
 * path) for the caller to throw. Malformed bytes throw.
 */
export function readLogsRequest(buf: Uint8Array): { batch: LogBatch } | DeferredError {
  const r = Reader.create(buf);
  const pending: PendingRecord[] = [];
  let index = 0;
  const end = r.len;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === LENGTH) {
      readResourceLogs(r, 1, index++, pending);
    } else skip(r, wire, 0, field);
  }
  const batch: LogBatch = new Array(pending.length);
  for (let i = 0; i < pending.length; i++) {
    const { record, traceId, spanId, at } = pending[i]!;
    const where = (field: string) =>
      `resourceLogs[${at[0]}].scopeLogs[${at[1]}].logRecords[${at[2]}].${field}`;
    if (record.severityNumber < 0 || record.severityNumber > 24) {
      return {
        path: where("severityNumber"),
        message: `expected 0-24, got ${record.severityNumber}`,
      };
    }
    const trace = idHex(traceId, 16);
    if (trace instanceof Error) return { path: where("traceId"), message: trace.message };
    if (trace) record.traceId = trace;
    const span = idHex(spanId, 8);
    if (span instanceof Error) return { path: where("spanId"), message: span.message };
    if (span) record.spanId = span;
    batch[i] = record;
  }
  return { batch };
}
