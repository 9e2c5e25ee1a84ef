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

/** 2^32, and the largest high half whose value (high·2^32 + low) is still exact as a number. */
const TWO_32 = 4294967296;
const SAFE_HIGH = 0x200000;

export function uint64(value: LongLike | null | undefined): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === "number") return BigInt(value);
  const high = value.high >>> 0;
  const low = value.low >>> 0;
  // Below 2^53 one conversion is enough; the bigint shift-and-or only where it is needed.
  if (high < SAFE_HIGH) return BigInt(high * TWO_32 + low);
  return (BigInt(high) << 32n) | BigInt(low);
}

export function int64(value: LongLike | null | undefined): bigint {
  if (value !== undefined && value !== null && typeof value !== "number") {
    const high = value.high | 0;
    if (high >= -SAFE_HIGH && high < SAFE_HIGH) {
      return BigInt(high * TWO_32 + (value.low >>> 0));
    }
  }
  return BigInt.asIntN(64, uint64(value));
}

/** An int64 as the data model keeps it: a number when safe, a bigint where one would round. */
export function int64Value(value: LongLike | null | undefined): number | bigint {
  if (value === undefined || value === null) return 0;
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : BigInt(value);
  const high = value.high | 0;
  if (high >= -SAFE_HIGH && high < SAFE_HIGH) {
    const n = high * TWO_32 + (value.low >>> 0);
    return Number.isSafeInteger(n) ? n : BigInt(n);
  }
  return int64(value);
}

/** The halves protobufjs' writer accepts for any 64-bit field, signed or not. */
export function toLong(value: bigint): { low: number; high: number } {
  const bits = BigInt.asUintN(64, value);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0 };
}

/**
 * toLong for a safe integer, without BigInt: protobufjs' writer takes the same halves. The low
 * half is the number modulo 2^32 (ToUint32 is exact below 2^53); the high half is the floor of
 * the quotient, which for a negative number gives the two's complement bits.
 */
export function safeIntegerToLong(value: number): { low: number; high: number } {
  return { low: value | 0, high: Math.floor(value / TWO_32) | 0 };
}

/** toLong for an integer held as a number, through BigInt only beyond 2^53. */
export function numberToLong(value: number): { low: number; high: number } {
  return Number.isSafeInteger(value) ? safeIntegerToLong(value) : toLong(BigInt(value));
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
    case "intValue":
      // Plain numbers are what processors expect; bigint only where a number would round.
      return int64Value(value.intValue);
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
        ? { intValue: safeIntegerToLong(value) }
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
