/**
 * Converters: functions that compute a value (names start with a capital letter). Semantics
 * follow the Collector's ottlfuncs; see src/expr/README.md for the supported list.
 */
import type { LogRecord } from "../pdata/logs.js";
import type { ValueNode } from "./ast.js";
import { OttlRuntimeError } from "./errors.js";
import { describeValue, isMap, stringify, typeOf, type Value } from "./values.js";

export type Getter = (record: LogRecord) => Value;

/** Argument access for a function being compiled; every failure names the argument's column. */
export interface Args {
  readonly nodes: readonly ValueNode[];
  readonly name: string;
  value(i: number): Getter;
  /** A string written as a literal, e.g. a regex. */
  string(i: number): string;
  int(i: number): number;
  /** A list of string literals, e.g. keys to keep. */
  strings(i: number): string[];
  regex(i: number, global?: boolean): RegExp;
  fail(i: number, reason: string): never;
}

export interface ConverterSpec {
  params: readonly string[];
  /** How many of the trailing params may be left out. */
  optional?: number;
  /** True when the result is a boolean, so the call can stand alone as a condition. */
  bool: boolean;
  compile(args: Args): Getter;
}

/** A converter of one argument whose result depends on that argument's value alone. */
const unary = (param: string, fn: (v: Value) => Value, bool = false): ConverterSpec => ({
  params: [param],
  bool,
  compile: (args) => {
    const value = args.value(0);
    return (r) => fn(value(r));
  },
});

const is = (test: (v: Value) => boolean): ConverterSpec => unary("value", test, true);

function stringArg(name: string, value: Value): string {
  if (typeof value !== "string") {
    throw new OttlRuntimeError(`${name} expects a string, got ${describeValue(value)}`);
  }
  return value;
}

const INT_TEXT = /^[+-]?\d+$/;
const FLOAT_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(Inf|inf|Infinity|NaN)$/;

export const CONVERTERS: Record<string, ConverterSpec> = {
  IsMatch: {
    params: ["target", "pattern"],
    bool: true,
    compile: (args) => {
      const target = args.value(0);
      const pattern = args.regex(1);
      return (r) => {
        const value = target(r);
        if (value === null) return false;
        return pattern.test(typeof value === "string" ? value : stringify(value));
      };
    },
  },
  IsString: is((v) => typeof v === "string"),
  IsInt: is((v) => typeOf(v) === "int"),
  IsDouble: is((v) => typeOf(v) === "double"),
  IsBool: is((v) => typeof v === "boolean"),
  IsMap: is((v) => isMap(v)),
  IsList: is((v) => Array.isArray(v)),
  Len: unary("target", (value) => {
    if (typeof value === "string") return [...value].length;
    if (Array.isArray(value) || value instanceof Uint8Array) return value.length;
    if (isMap(value)) return Object.keys(value).length;
    throw new OttlRuntimeError(`Len expects a string, list or map, got ${describeValue(value)}`);
  }),
  Concat: {
    params: ["values", "delimiter"],
    bool: false,
    compile: (args) => {
      const values = args.value(0);
      const delimiter = args.string(1);
      return (r) => {
        const list = values(r);
        if (!Array.isArray(list)) {
          throw new OttlRuntimeError(`Concat expects a list, got ${describeValue(list)}`);
        }
        // As in the Collector, maps and lists are left out rather than inflating the result.
        return list
          .filter((v) => !isMap(v) && !Array.isArray(v))
          .map(stringify)
          .join(delimiter);
      };
    },
  },
  ToLowerCase: unary("target", (v) => stringArg("ToLowerCase", v).toLowerCase()),
  ToUpperCase: unary("target", (v) => stringArg("ToUpperCase", v).toUpperCase()),
  Int: unary("value", (v) => {
    switch (typeof v) {
      case "bigint":
        return v;
      case "number":
        return Number.isFinite(v) ? Math.trunc(v) : null;
      case "boolean":
        return v ? 1 : 0;
      case "string": {
        const text = v.trim() === v ? v : "";
        if (!INT_TEXT.test(text)) return null;
        const n = BigInt(text);
        return Number.isSafeInteger(Number(n)) ? Number(n) : n;
      }
      default:
        return null;
    }
  }),
  Double: unary("value", (v) => {
    switch (typeof v) {
      case "bigint":
        return Number(v);
      case "number":
        return v;
      case "boolean":
        return v ? 1 : 0;
      case "string":
        if (!FLOAT_TEXT.test(v)) return null;
        return /inf/i.test(v) ? (v.startsWith("-") ? -Infinity : Infinity) : Number(v);
      default:
        return null;
    }
  }),
  String: unary("value", (v) => (v === null ? null : stringify(v))),
};

/** `SEVERITY_NUMBER_*` as in the Collector's log context (logs data model severity numbers). */
export const ENUMS: Record<string, number> = (() => {
  const out: Record<string, number> = { SEVERITY_NUMBER_UNSPECIFIED: 0 };
  ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"].forEach((level, i) => {
    const base = i * 4 + 1;
    out[`SEVERITY_NUMBER_${level}`] = base;
    for (let n = 2; n <= 4; n++) out[`SEVERITY_NUMBER_${level}${n}`] = base + n - 1;
  });
  return out;
})();
