/**
 * A hand-written encoder for ExportLogsServiceRequest, straight from the flat LogRecord model
 * into one scratch Buffer, in one pass.
 *
 * Why not protobufjs' Writer (which this replaced, and which replaced its reflective encoder):
 * the Writer queues an operation object per field and per fork/ldelim and copies them into the
 * buffer at the end. Why one pass and not two (sizes first, then an exactly sized buffer): the
 * cost here is strings (thousands of short keys and values per batch) and walking attribute
 * objects; a size pass must measure every string (Buffer.byteLength) and list every object's
 * keys once more, which measured slower than writing each string once
 * and, for the few messages of 128 bytes or more, moving the body right to fit the longer
 * length (KeyValue and AnyValue messages almost never are).
 *
 * It writes the bytes protobufjs' encoder writes, by its rules: fields by number; a proto3
 * scalar without presence (severity, times, names, keys) left out when it holds its default; a
 * oneof member or message always written when set; ids from hex (up to the first pair that is
 * not hex, like Buffer.from); an AnyValue number that is a safe integer as intValue, anything
 * else as doubleValue; a negative int64 or int32 as a ten-byte varint; attributes in
 * Object.keys order (protobufjs' for-in order); nesting refused past protobufjs' recursion
 * limit with its error, counted as it counts (the request is depth 0). One difference, on
 * purpose: a lone UTF-16 surrogate becomes U+FFFD (as Buffer and TextEncoder write it), where
 * protobufjs' loop for strings under 40 code units wrote an invalid 3-byte sequence that
 * proto3 decoders such as Go's reject, with the whole request. The tests check the rest byte
 * for byte against the reflective encoder.
 */
import protobuf from "protobufjs";
import type { LogBatch, LogRecord } from "./logs.js";
import { groupByResourceAndScope } from "./otlp-json.js";
import type { Resource, Scope } from "./resource.js";
import type { AnyValue, Attributes } from "./value.js";

/** Tags: field number << 3 | wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32). */
enum Tag {
  RequestResourceLogs = (1 << 3) | 2,
  ResourceLogsResource = (1 << 3) | 2,
  ResourceLogsScopeLogs = (2 << 3) | 2,
  ResourceLogsSchemaUrl = (3 << 3) | 2,
  ResourceAttributes = (1 << 3) | 2,
  ResourceDropped = (2 << 3) | 0,
  ScopeLogsScope = (1 << 3) | 2,
  ScopeLogsRecords = (2 << 3) | 2,
  ScopeName = (1 << 3) | 2,
  ScopeVersion = (2 << 3) | 2,
  ScopeAttributes = (3 << 3) | 2,
  RecordTime = (1 << 3) | 1,
  RecordSeverityNumber = (2 << 3) | 0,
  RecordSeverityText = (3 << 3) | 2,
  RecordBody = (5 << 3) | 2,
  RecordAttributes = (6 << 3) | 2,
  RecordDropped = (7 << 3) | 0,
  RecordFlags = (8 << 3) | 5,
  RecordTraceId = (9 << 3) | 2,
  RecordSpanId = (10 << 3) | 2,
  RecordObservedTime = (11 << 3) | 1,
  RecordEventName = (12 << 3) | 2,
  KeyValueKey = (1 << 3) | 2,
  KeyValueValue = (2 << 3) | 2,
  AnyString = (1 << 3) | 2,
  AnyBool = (2 << 3) | 0,
  AnyInt = (3 << 3) | 0,
  AnyDouble = (4 << 3) | 1,
  AnyArray = (5 << 3) | 2,
  AnyKvlist = (6 << 3) | 2,
  AnyBytes = (7 << 3) | 2,
  ListValues = (1 << 3) | 2,
}
// Every tag above is below 128, so each takes one byte on the wire.

const LIMIT = protobuf.util.recursionLimit;

/** Message depths as protobufjs counts them: the request is 0, a ResourceLogs 1. */
const Depth = { Resource: 2, Scope: 3, Record: 3 } as const;

/**
 * Strings shorter than this are written by a JS loop over their code units; longer ones by
 * Buffer's native UTF-8 routines, whose call overhead measured even with the loop at about 32
 * characters. Must stay at most 128, the lengths the loop's one length byte can hold.
 */
const SHORT_STRING = 32;
const TWO_32 = 4294967296;

/** Node's Buffer methods that write a string at an offset without parsing an encoding name. */
interface NodeBuffer extends Buffer {
  utf8Write(text: string, offset: number, length: number): number;
  latin1Write(text: string, offset: number, length: number): number;
}

function checkDepth(depth: number): void {
  if (depth > LIMIT) throw Error("max depth exceeded");
}

/**
 * The scratch buffer every call writes into (encode is synchronous, so one serves all), and the
 * write position. Out-of-range writes to a Uint8Array are silently dropped, so every write is
 * preceded by an ensure() covering it.
 */
const INITIAL = 1 << 16;
/** A scratch buffer a huge batch grew past this is let go after the call. */
const KEEP = 1 << 22;
let buf = Buffer.allocUnsafe(INITIAL) as NodeBuffer;
let pos = 0;

function ensure(extra: number): void {
  if (pos + extra <= buf.length) return;
  let size = buf.length * 2;
  while (size < pos + extra) size *= 2;
  const next = Buffer.allocUnsafe(size) as NodeBuffer;
  buf.copy(next, 0, 0, pos);
  buf = next;
}

function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Starts a length-delimited field: its tag and one byte kept for the length. */
function open(tag: number): number {
  ensure(2);
  buf[pos++] = tag;
  return pos++;
}

/** Ends the field `open` started: a body of 128 bytes or more moves right to fit its length. */
function close(at: number): void {
  const len = pos - at - 1;
  if (len < 0x80) {
    buf[at] = len;
    return;
  }
  const extra = varintSize(len) - 1;
  ensure(extra);
  buf.copyWithin(at + 1 + extra, at + 1, pos);
  pos += extra;
  let p = at;
  let n = len;
  while (n > 0x7f) {
    buf[p++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[p] = n;
}

function writeVarint(n: number): void {
  const b = buf;
  let p = pos;
  while (n > 0x7f) {
    b[p++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  b[p++] = n;
  pos = p;
}

function writeVarint64(lo: number, hi: number): void {
  while (hi !== 0) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  writeVarint(lo);
}

function writeFixed32(n: number): void {
  buf[pos++] = n & 0xff;
  buf[pos++] = (n >>> 8) & 0xff;
  buf[pos++] = (n >>> 16) & 0xff;
  buf[pos++] = n >>> 24;
}

/** A fixed64 from a bigint, wrapped to 64 bits as protobufjs' Long halves were. */
function writeFixed64(value: bigint): void {
  const bits = BigInt.asUintN(64, value);
  writeFixed32(Number(bits & 0xffffffffn));
  writeFixed32(Number(bits >> 32n));
}

/** The halves of a two's-complement 64-bit integer, as protobufjs' LongBits.fromNumber. */
function numberLo(value: number): number {
  return value < 0 ? (~(-value >>> 0) + 1) >>> 0 : value >>> 0;
}
function numberHi(value: number): number {
  if (value >= 0) return Math.floor(value / TWO_32) >>> 0;
  const magnitude = -value;
  const lo = magnitude >>> 0;
  const hi = ((magnitude - lo) / TWO_32) >>> 0;
  // The carry of the two's complement's +1 reaches the high half only when the low half is 0.
  return (lo === 0 ? ~hi + 1 : ~hi) >>> 0;
}

/** A string field after its tag: length and UTF-8. */
function writeString(text: string): void {
  const n = text.length;
  if (n < SHORT_STRING) {
    // Written as ASCII until a code unit says otherwise: the length is then n, in one byte.
    ensure(n + 1);
    const b = buf;
    const start = pos + 1;
    let i = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) break;
      b[start + i] = c;
    }
    if (i === n) {
      b[pos] = n;
      pos = start + n;
      return;
    }
  }
  const bytes = Buffer.byteLength(text, "utf8");
  ensure(bytes + 5);
  writeVarint(bytes);
  if (bytes === n) buf.latin1Write(text, pos, bytes);
  else buf.utf8Write(text, pos, bytes);
  pos += bytes;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** An id as bytes, decoded as Buffer.from(hex, "hex") would; no bytes, no field. */
function writeId(tag: number, hex: string): void {
  const whole = hex.length >>> 1;
  let bytes = whole;
  for (let i = 0; i < whole; i++) {
    if (hexDigit(hex.charCodeAt(2 * i)) < 0 || hexDigit(hex.charCodeAt(2 * i + 1)) < 0) {
      bytes = i;
      break;
    }
  }
  if (bytes === 0) return;
  ensure(bytes + 6);
  buf[pos++] = tag;
  writeVarint(bytes);
  for (let i = 0; i < bytes; i++) {
    buf[pos++] = (hexDigit(hex.charCodeAt(2 * i)) << 4) | hexDigit(hex.charCodeAt(2 * i + 1));
  }
}

/** The members of one AnyValue message at `depth` (without its own tag and length). */
function writeAnyValueFields(value: AnyValue | undefined, depth: number): void {
  if (value === null || value === undefined) return;
  switch (typeof value) {
    case "string":
      ensure(1);
      buf[pos++] = Tag.AnyString;
      writeString(value);
      return;
    case "boolean":
      ensure(2);
      buf[pos++] = Tag.AnyBool;
      buf[pos++] = value ? 1 : 0;
      return;
    case "bigint": {
      ensure(11);
      buf[pos++] = Tag.AnyInt;
      const bits = BigInt.asUintN(64, value);
      writeVarint64(Number(bits & 0xffffffffn), Number(bits >> 32n));
      return;
    }
    case "number":
      ensure(11);
      if (!Number.isSafeInteger(value)) {
        buf[pos++] = Tag.AnyDouble;
        buf.writeDoubleLE(value, pos);
        pos += 8;
      } else {
        buf[pos++] = Tag.AnyInt;
        if (value >= 0 && value < TWO_32) writeVarint(value);
        else writeVarint64(numberLo(value), numberHi(value));
      }
      return;
  }
  if (value instanceof Uint8Array) {
    ensure(value.length + 6);
    buf[pos++] = Tag.AnyBytes;
    writeVarint(value.length);
    buf.set(value, pos);
    pos += value.length;
    return;
  }
  checkDepth(depth + 1);
  if (Array.isArray(value)) {
    const at = open(Tag.AnyArray);
    for (const item of value) writeAnyValue(Tag.ListValues, item, depth + 2);
    close(at);
    return;
  }
  const at = open(Tag.AnyKvlist);
  writeAttributes(Tag.ListValues, value, depth + 2);
  close(at);
}

function writeAnyValue(tag: number, value: AnyValue | undefined, depth: number): void {
  checkDepth(depth);
  const at = open(tag);
  writeAnyValueFields(value, depth);
  close(at);
}

/** KeyValue messages at `depth`, one per own enumerable attribute. */
function writeAttributes(tag: number, attributes: Attributes, depth: number): void {
  const keys = Object.keys(attributes);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    checkDepth(depth);
    const at = open(tag);
    if (key !== "") {
      ensure(1);
      buf[pos++] = Tag.KeyValueKey;
      writeString(key);
    }
    writeAnyValue(Tag.KeyValueValue, attributes[key], depth + 1);
    close(at);
  }
}

function writeResource(resource: Resource): void {
  const at = open(Tag.ResourceLogsResource);
  writeAttributes(Tag.ResourceAttributes, resource.attributes, Depth.Resource + 1);
  if (resource.droppedAttributesCount) {
    ensure(6);
    buf[pos++] = Tag.ResourceDropped;
    writeVarint(resource.droppedAttributesCount >>> 0);
  }
  close(at);
}

function writeScope(scope: Scope): void {
  const at = open(Tag.ScopeLogsScope);
  if (scope.name) {
    ensure(1);
    buf[pos++] = Tag.ScopeName;
    writeString(scope.name);
  }
  if (scope.version) {
    ensure(1);
    buf[pos++] = Tag.ScopeVersion;
    writeString(scope.version);
  }
  if (scope.attributes) writeAttributes(Tag.ScopeAttributes, scope.attributes, Depth.Scope + 1);
  close(at);
}

function writeLogRecord(record: LogRecord): void {
  const at = open(Tag.ScopeLogsRecords);
  ensure(30);
  if (record.time) {
    buf[pos++] = Tag.RecordTime;
    writeFixed64(record.time);
  }
  const severity = record.severityNumber;
  if (severity) {
    buf[pos++] = Tag.RecordSeverityNumber;
    if (severity < 0) writeVarint64(numberLo(severity), numberHi(severity));
    else writeVarint(severity >>> 0);
  }
  if (record.severityText) {
    buf[pos++] = Tag.RecordSeverityText;
    writeString(record.severityText);
  }
  writeAnyValue(Tag.RecordBody, record.body, Depth.Record + 1);
  writeAttributes(Tag.RecordAttributes, record.attributes, Depth.Record + 1);
  ensure(30);
  if (record.droppedAttributesCount) {
    buf[pos++] = Tag.RecordDropped;
    writeVarint(record.droppedAttributesCount >>> 0);
  }
  if (record.flags) {
    buf[pos++] = Tag.RecordFlags;
    writeFixed32(record.flags >>> 0);
  }
  if (record.traceId) writeId(Tag.RecordTraceId, record.traceId);
  if (record.spanId) writeId(Tag.RecordSpanId, record.spanId);
  if (record.observedTime) {
    ensure(9);
    buf[pos++] = Tag.RecordObservedTime;
    writeFixed64(record.observedTime);
  }
  if (record.eventName) {
    ensure(1);
    buf[pos++] = Tag.RecordEventName;
    writeString(record.eventName);
  }
  close(at);
}

export function writeLogsRequest(batch: LogBatch): Uint8Array {
  pos = 0;
  try {
    for (const { resource, scopes } of groupByResourceAndScope(batch)) {
      const at = open(Tag.RequestResourceLogs);
      writeResource(resource);
      for (const { scope, items } of scopes) {
        const scopeAt = open(Tag.ResourceLogsScopeLogs);
        writeScope(scope);
        for (const record of items) writeLogRecord(record);
        close(scopeAt);
      }
      if (resource.schemaUrl) {
        ensure(1);
        buf[pos++] = Tag.ResourceLogsSchemaUrl;
        writeString(resource.schemaUrl);
      }
      close(at);
    }
    // A copy, so the scratch buffer can be reused; measured cheaper than allocUnsafe + copy.
    return Buffer.from(buf.subarray(0, pos));
  } finally {
    if (buf.length > KEEP) buf = Buffer.allocUnsafe(INITIAL) as NodeBuffer;
  }
}
