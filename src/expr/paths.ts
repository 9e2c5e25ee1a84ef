/**
 * What a path means for a log record (the Collector's `ottllog` context, or `ottlresource`
 * for the routing connector's default context). Paths are resolved once, at compile time,
 * into getter and setter closures.
 */
import type { LogRecord } from "../pdata/logs.js";
import type { KeyNode, ValueNode } from "./ast.js";
import { OttlParseError, OttlRuntimeError } from "./errors.js";
import { describeValue, isMap, typeOf, type Value } from "./values.js";

export type PathContext = "log" | "resource";

/** Which shared object a write touches: resource and scope are shared between records. */
export type WriteTarget = "record" | "resource" | "scope";

export interface PathAccess {
  get(record: LogRecord): Value;
  /** Absent for read-only paths. Throws OttlRuntimeError on a value of the wrong type. */
  set?: (record: LogRecord, value: Value) => void;
  writes: WriteTarget;
  /** The path text as written, for messages. */
  text: string;
}

type PathNode = Extract<ValueNode, { kind: "path" }>;

interface Field {
  get(record: LogRecord): Value;
  set?: (record: LogRecord, value: Value) => void;
  /** The map or list that keyed access walks into, created for writes where allowed. */
  root?: (record: LogRecord, create: boolean) => Value;
  writes: WriteTarget;
}

function wrongType(path: string, expected: string, value: Value): never {
  throw new OttlRuntimeError(`${path} expects ${expected}, got ${describeValue(value)}`);
}

function asInt(path: string, value: Value, min: number, max: number): number {
  const n = typeof value === "bigint" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    wrongType(path, `an integer from ${min} to ${max}`, value);
  }
  return n;
}

const HEX = /^[0-9a-fA-F]+$/;

function hexId(path: string, value: Value, bytes: number): string {
  if (typeof value !== "string" || value.length !== bytes * 2 || !HEX.test(value)) {
    wrongType(path, `${bytes * 2} hex characters`, value);
  }
  return value.toLowerCase();
}

function mapField(
  writes: WriteTarget,
  read: (r: LogRecord) => Record<string, Value> | undefined,
  write: (r: LogRecord, map: Record<string, Value>) => void,
  path: string,
): Field {
  return {
    writes,
    get: (r) => read(r) ?? null,
    set: (r, v) => {
      if (!isMap(v)) wrongType(path, "a map", v);
      write(r, v);
    },
    root: (r, create) => {
      const map = read(r);
      if (map || !create) return map ?? null;
      const fresh = {};
      write(r, fresh);
      return fresh;
    },
  };
}

function logFields(name: string): Field | undefined {
  switch (name) {
    case "attributes":
      return mapField(
        "record",
        (r) => r.attributes,
        (r, m) => {
          r.attributes = m;
        },
        name,
      );
    case "resource.attributes":
      return mapField(
        "resource",
        (r) => r.resource.attributes,
        (r, m) => {
          r.resource.attributes = m;
        },
        name,
      );
    case "scope.attributes":
    case "instrumentation_scope.attributes":
      return mapField(
        "scope",
        (r) => r.scope.attributes,
        (r, m) => {
          r.scope.attributes = m;
        },
        name,
      );
    case "resource.dropped_attributes_count":
      return {
        writes: "resource",
        get: (r) => r.resource.droppedAttributesCount ?? 0,
        set: (r, v) => {
          r.resource.droppedAttributesCount = asInt(name, v, 0, 2 ** 32 - 1);
        },
      };
    case "scope.name":
    case "instrumentation_scope.name":
      return {
        writes: "scope",
        get: (r) => r.scope.name,
        set: (r, v) => {
          r.scope.name = typeof v === "string" ? v : wrongType(name, "a string", v);
        },
      };
    case "scope.version":
    case "instrumentation_scope.version":
      return {
        writes: "scope",
        get: (r) => r.scope.version ?? null,
        set: (r, v) => {
          r.scope.version = typeof v === "string" ? v : wrongType(name, "a string", v);
        },
      };
    case "body":
      return {
        writes: "record",
        get: (r) => r.body ?? null,
        set: (r, v) => {
          r.body = v;
        },
        root: (r, create) => {
          if (create && (r.body === null || r.body === undefined)) r.body = {};
          return r.body ?? null;
        },
      };
    case "severity_number":
      return {
        writes: "record",
        get: (r) => r.severityNumber,
        set: (r, v) => {
          r.severityNumber = asInt(name, v, 0, 24);
        },
      };
    case "severity_text":
      return {
        writes: "record",
        get: (r) => r.severityText,
        set: (r, v) => {
          r.severityText = typeof v === "string" ? v : wrongType(name, "a string", v);
        },
      };
    case "event_name":
      return {
        writes: "record",
        get: (r) => r.eventName ?? "",
        set: (r, v) => {
          r.eventName = typeof v === "string" ? v : wrongType(name, "a string", v);
        },
      };
    case "time_unix_nano":
    case "observed_time_unix_nano": {
      const key = name === "time_unix_nano" ? "time" : "observedTime";
      return {
        writes: "record",
        get: (r) => r[key],
        set: (r, v) => {
          if ((typeof v !== "bigint" && !Number.isSafeInteger(v)) || (v as number | bigint) < 0) {
            wrongType(name, "a non-negative integer (nanoseconds)", v);
          }
          r[key] = BigInt(v as number | bigint);
        },
      };
    }
    case "trace_id":
    case "trace_id.string":
      return {
        writes: "record",
        get: (r) => r.traceId || null,
        set: (r, v) => {
          r.traceId = hexId(name, v, 16);
        },
      };
    case "span_id":
    case "span_id.string":
      return {
        writes: "record",
        get: (r) => r.spanId || null,
        set: (r, v) => {
          r.spanId = hexId(name, v, 8);
        },
      };
    case "flags":
      return {
        writes: "record",
        get: (r) => r.flags ?? 0,
        set: (r, v) => {
          r.flags = asInt(name, v, 0, 2 ** 32 - 1);
        },
      };
    case "dropped_attributes_count":
      return {
        writes: "record",
        get: (r) => r.droppedAttributesCount ?? 0,
        set: (r, v) => {
          r.droppedAttributesCount = asInt(name, v, 0, 2 ** 32 - 1);
        },
      };
  }
  return undefined;
}

function resourceFields(name: string): Field | undefined {
  if (name === "attributes" || name === "dropped_attributes_count") {
    return logFields(`resource.${name}`);
  }
  return undefined;
}

export const LOG_PATHS = [
  "attributes",
  "body",
  "severity_number",
  "severity_text",
  "event_name",
  "time_unix_nano",
  "observed_time_unix_nano",
  "trace_id",
  "span_id",
  "flags",
  "dropped_attributes_count",
  "resource.attributes",
  "resource.dropped_attributes_count",
  "scope.name",
  "scope.version",
  "scope.attributes",
];

/** Reads `value[k1][k2]…`; a missing key, or a key into something else, is nil. */
function walk(value: Value, keys: readonly (string | number)[]): Value {
  let current = value;
  for (const key of keys) {
    if (typeof key === "string" && isMap(current)) current = current[key] ?? null;
    else if (typeof key === "number" && Array.isArray(current)) current = current[key] ?? null;
    else return null;
  }
  return current;
}

export function resolvePath(node: PathNode, context: PathContext, source: string): PathAccess {
  let fields = node.fields.map((f) => f.name);
  // The Collector's newer configs prefix paths with their context: `log.attributes[…]`.
  const prefix = context === "log" ? "log" : "resource";
  if (fields[0] === prefix && fields.length > 1) fields = fields.slice(1);
  const text = fields.join(".");
  const field = context === "log" ? logFields(text) : resourceFields(text);
  if (!field) {
    const hint =
      context === "resource"
        ? ' (the resource context has only "attributes" and "dropped_attributes_count"; use context: log for record fields)'
        : `; known paths: ${LOG_PATHS.join(", ")}`;
    throw new OttlParseError(`unknown path "${text}"${hint}`, node.pos + 1, source);
  }
  const keys = node.keys.map((k) => k.value);
  if (keys.length === 0) return { ...field, text };
  const { root } = field;
  if (!root) {
    const key = node.keys[0] as KeyNode;
    throw new OttlParseError(`"${text}" is not a map and cannot be indexed`, key.pos + 1, source);
  }
  const full = `${text}${keys.map((k) => `[${JSON.stringify(k)}]`).join("")}`;
  return {
    text: full,
    writes: field.writes,
    get: (r) => walk(root(r, false), keys),
    set: (r, value) => {
      let container = root(r, true);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const last = i === keys.length - 1;
        if (typeof key === "string" && isMap(container)) {
          if (last) container[key] = value;
          else {
            const nextValue = container[key];
            if (nextValue === undefined || nextValue === null) container[key] = {};
            container = container[key]!;
          }
        } else if (typeof key === "number" && Array.isArray(container)) {
          if (key < 0 || key >= container.length) {
            throw new OttlRuntimeError(
              `${full}: index ${key} out of range (length ${container.length})`,
            );
          }
          if (last) container[key] = value;
          else container = container[key]!;
        } else {
          throw new OttlRuntimeError(`${full}: cannot set a key inside ${typeOf(container)} value`);
        }
      }
    },
  };
}
