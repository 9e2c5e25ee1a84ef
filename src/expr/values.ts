/**
 * Runtime values and OTTL's comparison rules (pkg/ottl LANGUAGE.md, "Comparison Rules"):
 * numbers compare across int and float; nil equals only nil; values of different types are
 * "not equal" (`!=` is true, every other operator false); strings compare lexically, false is
 * less than true; maps and lists support only `==` and `!=` (deep equality).
 */
import { type AnyValue, isPlainObject } from "../pdata/value.js";
import type { CompareOp } from "./ast.js";

export type Value = AnyValue;

export type TypeName = "nil" | "string" | "int" | "double" | "bool" | "bytes" | "map" | "list";

/**
 * Integers and doubles share JS `number` in the data model (pdata/value.ts), so an integral
 * number is an int here, as the OTLP encoder also writes it; bigint holds ints beyond 2^53.
 */
export function typeOf(value: Value): TypeName {
  if (value === null || value === undefined) return "nil";
  switch (typeof value) {
    case "string":
      return "string";
    case "boolean":
      return "bool";
    case "bigint":
      return "int";
    case "number":
      return Number.isInteger(value) ? "int" : "double";
  }
  if (value instanceof Uint8Array) return "bytes";
  if (Array.isArray(value)) return "list";
  return "map";
}

export function isNumber(value: Value): value is number | bigint {
  return typeof value === "number" || typeof value === "bigint";
}

function ordered(op: CompareOp, c: number): boolean {
  switch (op) {
    case "==":
      return c === 0;
    case "!=":
      return c !== 0;
    case "<":
      return c < 0;
    case "<=":
      return c <= 0;
    case ">":
      return c > 0;
    case ">=":
      return c >= 0;
  }
}

/** -1, 0 or 1; NaN when unordered (a NaN operand), which makes every operator but != false. */
function compareNumbers(a: number | bigint, b: number | bigint): number {
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "bigint" || typeof b === "bigint") {
    // Mixed bigint and number: exact when the number is integral, else as doubles.
    const x = a as number | bigint;
    const y = b as number | bigint;
    if (Number.isInteger(Number(x)) && Number.isInteger(Number(y))) {
      const bx = BigInt(x);
      const by = BigInt(y);
      return bx < by ? -1 : bx > by ? 1 : 0;
    }
    return Math.sign(Number(x) - Number(y));
  }
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.NaN;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function deepEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (isNumber(a) && isNumber(b)) return compareNumbers(a, b) === 0;
  const ta = typeOf(a);
  if (ta !== typeOf(b)) return false;
  if (ta === "bytes") return Buffer.compare(a as Uint8Array, b as Uint8Array) === 0;
  if (ta === "list") {
    const la = a as Value[];
    const lb = b as Value[];
    return la.length === lb.length && la.every((item, i) => deepEqual(item, lb[i]!));
  }
  if (ta === "map") {
    const ma = a as Record<string, Value>;
    const mb = b as Record<string, Value>;
    const keys = Object.keys(ma);
    return (
      keys.length === Object.keys(mb).length &&
      keys.every((k) => Object.hasOwn(mb, k) && deepEqual(ma[k]!, mb[k]!))
    );
  }
  return false;
}

export function compare(op: CompareOp, a: Value, b: Value): boolean {
  if (isNumber(a) && isNumber(b)) {
    const c = compareNumbers(a, b);
    return Number.isNaN(c) ? op === "!=" : ordered(op, c);
  }
  const ta = typeOf(a);
  const tb = typeOf(b);
  if (ta !== tb) return op === "!=";
  switch (ta) {
    case "nil":
      return op === "==";
    case "string":
      return ordered(op, a === b ? 0 : (a as string) < (b as string) ? -1 : 1);
    case "bool":
      return ordered(op, Number(a) - Number(b));
    case "bytes":
      return ordered(op, Buffer.compare(a as Uint8Array, b as Uint8Array));
    default:
      if (op === "==") return deepEqual(a, b);
      if (op === "!=") return !deepEqual(a, b);
      return false;
  }
}

/**
 * The string form a converter such as `IsMatch` or `Concat` uses: numbers and booleans as
 * written, bytes as hex, maps and lists as JSON.
 */
export function stringify(value: Value): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
    return String(value);
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "bigint") return v.toString();
    if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
    return v;
  });
}

export function isMap(value: Value): value is Record<string, Value> {
  return isPlainObject(value);
}

/** Renders a value in an error message without echoing large payloads. */
export function describeValue(value: Value): string {
  const type = typeOf(value);
  if (type === "map" || type === "list" || type === "bytes") return `a ${type}`;
  const text = typeof value === "string" ? JSON.stringify(value) : String(value);
  return `${type} ${text.length > 40 ? `${text.slice(0, 37)}…` : text}`;
}
