/**
 * OTLP/JSON decoding: the input is untrusted (an OTLP receiver feeds request bodies straight
 * in), so every field is checked and a malformed request throws a PermanentError naming the
 * offending path, which a receiver answers with 400. Unknown fields are ignored, as the spec
 * requires.
 */
import { PermanentError } from "../component/errors.js";
import type { LogBatch } from "./logs.js";
import type { Resource, Scope } from "./resource.js";
import type { AnyValue, Attributes } from "./value.js";

type Json = Record<string, unknown>;

function fail(path: string, message: string): never {
  throw new PermanentError(`${path}: ${message}`);
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function objectAt(value: unknown, path: string): Json {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) fail(path, "expected an object");
  return value;
}

function arrayAt(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(path, "expected an array");
  return value;
}

function stringAt(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") fail(path, "expected a string");
  return value;
}

/** uint32 / int32 / enum fields: always JSON numbers, though proto3 JSON also allows strings. */
function int32At(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n)) fail(path, "expected an integer");
  return n;
}

/** 64-bit fields arrive as decimal strings per the spec, or as numbers from lax senders. */
function int64At(value: unknown, path: string, unsigned = false): bigint | undefined {
  if (value === undefined || value === null) return undefined;
  let n: bigint | undefined;
  if (typeof value === "number" && Number.isInteger(value)) n = BigInt(value);
  else if (typeof value === "string" && /^-?\d+$/.test(value)) n = BigInt(value);
  if (n === undefined || (unsigned && n < 0n)) {
    fail(
      path,
      `expected a${unsigned ? "n unsigned" : ""} 64-bit integer as a decimal string or number`,
    );
  }
  return n;
}

function doubleAt(value: unknown, path: string): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value);
    if (!Number.isNaN(n) || value === "NaN") return n;
  }
  return fail(path, "expected a number");
}

function hexIdAt(value: unknown, path: string, bytes: number): string | undefined {
  const id = stringAt(value, path);
  if (!id) return undefined;
  if (id.length !== bytes * 2 || !/^[0-9a-fA-F]+$/.test(id)) {
    fail(path, `expected ${bytes * 2} hex characters`);
  }
  return id.toLowerCase();
}

export function decodeAnyValue(value: unknown, path: string): AnyValue {
  const v = objectAt(value, path);
  if ("stringValue" in v) return stringAt(v.stringValue, `${path}.stringValue`) ?? "";
  if ("boolValue" in v) {
    if (typeof v.boolValue !== "boolean") fail(`${path}.boolValue`, "expected a boolean");
    return v.boolValue;
  }
  if ("intValue" in v) {
    const n = int64At(v.intValue, `${path}.intValue`) ?? 0n;
    // Plain numbers are what processors expect; bigint only where a number would round.
    const safe = n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER);
    return safe ? Number(n) : n;
  }
  if ("doubleValue" in v) return doubleAt(v.doubleValue, `${path}.doubleValue`);
  if ("bytesValue" in v) {
    const b64 = stringAt(v.bytesValue, `${path}.bytesValue`) ?? "";
    return new Uint8Array(Buffer.from(b64, "base64"));
  }
  if ("arrayValue" in v) {
    const values = arrayAt(
      objectAt(v.arrayValue, `${path}.arrayValue`).values,
      `${path}.arrayValue.values`,
    );
    return values.map((item, i) => decodeAnyValue(item, `${path}.arrayValue.values[${i}]`));
  }
  if ("kvlistValue" in v) {
    const kvlist = objectAt(v.kvlistValue, `${path}.kvlistValue`);
    return decodeAttributes(kvlist.values, `${path}.kvlistValue.values`);
  }
  return null;
}

export function decodeAttributes(value: unknown, path: string): Attributes {
  const out: Attributes = {};
  arrayAt(value, path).forEach((item, i) => {
    const kv = objectAt(item, `${path}[${i}]`);
    const key = stringAt(kv.key, `${path}[${i}].key`);
    if (key === undefined) fail(`${path}[${i}].key`, "missing");
    out[key] = decodeAnyValue(kv.value, `${path}[${i}].value`);
  });
  return out;
}

function decodeResource(value: unknown, schemaUrl: string | undefined, path: string): Resource {
  const r = objectAt(value, path);
  const resource: Resource = { attributes: decodeAttributes(r.attributes, `${path}.attributes`) };
  const dropped = int32At(r.droppedAttributesCount, `${path}.droppedAttributesCount`);
  if (dropped) resource.droppedAttributesCount = dropped;
  if (schemaUrl) resource.schemaUrl = schemaUrl;
  return resource;
}

function decodeScope(value: unknown, path: string): Scope {
  const s = objectAt(value, path);
  const scope: Scope = { name: stringAt(s.name, `${path}.name`) ?? "" };
  const version = stringAt(s.version, `${path}.version`);
  if (version !== undefined) scope.version = version;
  const attributes = decodeAttributes(s.attributes, `${path}.attributes`);
  if (Object.keys(attributes).length > 0) scope.attributes = attributes;
  return scope;
}

/**
 * Turns a parsed ExportLogsServiceRequest into a flat batch. Records of one ResourceLogs and
 * ScopeLogs share one Resource and one Scope object, so encoding the batch again regroups
 * them the same way.
 */
export function decodeLogsRequest(json: unknown): LogBatch {
  const batch: LogBatch = [];
  const request = objectAt(json, "request");
  arrayAt(request.resourceLogs, "resourceLogs").forEach((rlValue, i) => {
    const rlPath = `resourceLogs[${i}]`;
    const rl = objectAt(rlValue, rlPath);
    const schemaUrl = stringAt(rl.schemaUrl, `${rlPath}.schemaUrl`);
    const resource = decodeResource(rl.resource, schemaUrl, `${rlPath}.resource`);
    arrayAt(rl.scopeLogs, `${rlPath}.scopeLogs`).forEach((slValue, j) => {
      const slPath = `${rlPath}.scopeLogs[${j}]`;
      const sl = objectAt(slValue, slPath);
      const scope = decodeScope(sl.scope, `${slPath}.scope`);
      arrayAt(sl.logRecords, `${slPath}.logRecords`).forEach((lrValue, k) => {
        const p = `${slPath}.logRecords[${k}]`;
        const lr = objectAt(lrValue, p);
        const severityNumber = int32At(lr.severityNumber, `${p}.severityNumber`) ?? 0;
        if (severityNumber < 0 || severityNumber > 24) fail(`${p}.severityNumber`, "expected 0-24");
        const record: LogBatch[number] = {
          time: int64At(lr.timeUnixNano, `${p}.timeUnixNano`, true) ?? 0n,
          observedTime: int64At(lr.observedTimeUnixNano, `${p}.observedTimeUnixNano`, true) ?? 0n,
          severityNumber,
          severityText: stringAt(lr.severityText, `${p}.severityText`) ?? "",
          body: decodeAnyValue(lr.body, `${p}.body`),
          attributes: decodeAttributes(lr.attributes, `${p}.attributes`),
          resource,
          scope,
        };
        const eventName = stringAt(lr.eventName, `${p}.eventName`);
        if (eventName) record.eventName = eventName;
        const traceId = hexIdAt(lr.traceId, `${p}.traceId`, 16);
        if (traceId) record.traceId = traceId;
        const spanId = hexIdAt(lr.spanId, `${p}.spanId`, 8);
        if (spanId) record.spanId = spanId;
        const flags = int32At(lr.flags, `${p}.flags`);
        if (flags !== undefined) record.flags = flags;
        const dropped = int32At(lr.droppedAttributesCount, `${p}.droppedAttributesCount`);
        if (dropped !== undefined) record.droppedAttributesCount = dropped;
        batch.push(record);
      });
    });
  });
  return batch;
}
