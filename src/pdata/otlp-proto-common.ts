/**
 * Shared pieces of the OTLP protobuf codec: the message types (protobufjs reflection over the
 * embedded schema), 64-bit conversion and the AnyValue / Resource / Scope mapping.
 */
import protobuf from "protobufjs";
import { PermanentError } from "../component/errors.js";
import { OTLP_PROTO_SCHEMA } from "./otlp-proto-schema.js";
import type { Resource, Scope } from "./resource.js";
import type { AnyValue, Attributes } from "./value.js";

const root = protobuf.Root.fromJSON(OTLP_PROTO_SCHEMA);

export function messageType(name: string): protobuf.Type {
  return root.lookupType(name);
}

/** protobufjs hands 64-bit fields over as Long (low/high halves); plain numbers if small. */
export type LongLike = { low: number; high: number } | number;

export interface PbAnyValue {
  value?: string;
  stringValue?: string;
  boolValue?: boolean;
  intValue?: LongLike;
  doubleValue?: number;
  bytesValue?: Uint8Array;
  arrayValue?: { values?: PbAnyValue[] };
  kvlistValue?: { values?: PbKeyValue[] };
}

export interface PbKeyValue {
  key?: string;
  value?: PbAnyValue | null;
}

export interface PbResource {
  attributes?: PbKeyValue[];
  droppedAttributesCount?: number;
}

export interface PbScope {
  name?: string;
  version?: string;
  attributes?: PbKeyValue[];
}

export function uint64(value: LongLike | null | undefined): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === "number") return BigInt(value);
  return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
}

export function int64(value: LongLike | null | undefined): bigint {
  return BigInt.asIntN(64, uint64(value));
}

/** The halves protobufjs' writer accepts for any 64-bit field, signed or not. */
export function toLong(value: bigint): { low: number; high: number } {
  const bits = BigInt.asUintN(64, value);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0 };
}

/** Counts and other unsigned 64-bit values that the data model keeps as numbers. */
export function uint64Number(value: LongLike | null | undefined): number {
  return Number(uint64(value));
}

/**
 * Runs protobufjs' decoder; anything it throws (truncated input, bad wire type, nesting deep
 * enough to exhaust the stack) is the sender's fault, so it becomes a PermanentError (400).
 */
export function decodeMessage<T>(type: protobuf.Type, buf: Uint8Array): T {
  try {
    return type.decode(buf) as unknown as T;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PermanentError(`invalid ${type.name} protobuf: ${reason}`);
  }
}

export function decodeAnyValue(value: PbAnyValue | null | undefined): AnyValue {
  if (!value) return null;
  switch (value.value) {
    case "stringValue":
      return value.stringValue ?? "";
    case "boolValue":
      return value.boolValue ?? false;
    case "intValue": {
      const n = int64(value.intValue);
      // Plain numbers are what processors expect; bigint only where a number would round.
      const safe = n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER);
      return safe ? Number(n) : n;
    }
    case "doubleValue":
      return value.doubleValue ?? 0;
    case "bytesValue":
      // A copy: protobufjs returns a view into the request buffer, which would keep it alive.
      return new Uint8Array(value.bytesValue ?? []);
    case "arrayValue":
      return (value.arrayValue?.values ?? []).map(decodeAnyValue);
    case "kvlistValue":
      return decodeAttributes(value.kvlistValue?.values);
    default:
      return null;
  }
}

export function decodeAttributes(list: PbKeyValue[] | undefined): Attributes {
  const out: Attributes = {};
  if (!list) return out;
  for (const kv of list) {
    const key = kv.key ?? "";
    // defineProperty: a sender-chosen "__proto__" key must stay data, not replace the prototype.
    if (key === "__proto__") {
      Object.defineProperty(out, key, {
        value: decodeAnyValue(kv.value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else out[key] = decodeAnyValue(kv.value);
  }
  return out;
}

export function decodeResource(value: PbResource | null | undefined, schemaUrl?: string): Resource {
  const resource: Resource = { attributes: decodeAttributes(value?.attributes) };
  if (value?.droppedAttributesCount) resource.droppedAttributesCount = value.droppedAttributesCount;
  if (schemaUrl) resource.schemaUrl = schemaUrl;
  return resource;
}

export function decodeScope(value: PbScope | null | undefined): Scope {
  const scope: Scope = { name: value?.name ?? "" };
  if (value?.version) scope.version = value.version;
  const attributes = decodeAttributes(value?.attributes);
  if (Object.keys(attributes).length > 0) scope.attributes = attributes;
  return scope;
}

export function encodeAnyValue(value: AnyValue | undefined): PbAnyValue {
  if (value === null || value === undefined) return {};
  switch (typeof value) {
    case "string":
      return { stringValue: value };
    case "boolean":
      return { boolValue: value };
    case "bigint":
      return { intValue: toLong(value) };
    case "number":
      // The same rule as the OTLP/JSON encoder, so both wire formats agree on int vs double.
      return Number.isSafeInteger(value)
        ? { intValue: toLong(BigInt(value)) }
        : { doubleValue: value };
  }
  if (value instanceof Uint8Array) return { bytesValue: value };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(encodeAnyValue) } };
  return { kvlistValue: { values: encodeAttributes(value) } };
}

export function encodeAttributes(attributes: Attributes): PbKeyValue[] {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: encodeAnyValue(value) }));
}

export function encodeResource(resource: Resource): PbResource {
  const out: PbResource = { attributes: encodeAttributes(resource.attributes) };
  if (resource.droppedAttributesCount) out.droppedAttributesCount = resource.droppedAttributesCount;
  return out;
}

export function encodeScope(scope: Scope): PbScope {
  const out: PbScope = { name: scope.name };
  if (scope.version) out.version = scope.version;
  if (scope.attributes) out.attributes = encodeAttributes(scope.attributes);
  return out;
}

export function failAt(path: string, message: string): never {
  throw new PermanentError(`${path}: ${message}`);
}
