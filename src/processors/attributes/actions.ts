import { createHash } from "node:crypto";
import type { AnyValue, Attributes } from "../../pdata/value.js";
import { compileRegex } from "../internal/regex.js";
import type { ActionConfig } from "./config.js";

/** Applies one configured action to a set of attributes, in place. */
export type Action = (attributes: Attributes) => void;

/**
 * Turns the configured actions into one function, compiling every regex once. The attributes
 * and resource processors share it, so an action means the same on a record and a resource.
 */
export function compileActions(configs: readonly ActionConfig[]): Action {
  const actions = configs.map(compileAction);
  return (attributes) => {
    for (const action of actions) action(attributes);
  };
}

function compileAction(config: ActionConfig): Action {
  const key = config.key ?? "";
  const pattern = config.pattern === undefined ? undefined : compileRegex(config.pattern);
  switch (config.action) {
    case "insert":
      return (attrs) => {
        if (attrs[key] !== undefined) return;
        const value = resolve(config, attrs);
        if (value !== undefined) attrs[key] = value;
      };
    case "update":
      return (attrs) => {
        if (attrs[key] === undefined) return;
        const value = resolve(config, attrs);
        if (value !== undefined) attrs[key] = value;
      };
    case "upsert":
      return (attrs) => {
        const value = resolve(config, attrs);
        if (value !== undefined) attrs[key] = value;
      };
    case "delete":
      return (attrs) => {
        for (const name of matching(attrs, config.key, pattern)) delete attrs[name];
      };
    case "hash":
      return (attrs) => {
        for (const name of matching(attrs, config.key, pattern)) attrs[name] = sha256(attrs[name]!);
      };
    case "extract":
      return (attrs) => {
        const value = attrs[key];
        if (typeof value !== "string") return;
        const groups = pattern!.exec(value)?.groups;
        if (!groups) return;
        for (const [name, group] of Object.entries(groups)) {
          if (group !== undefined) attrs[name] = group;
        }
      };
    case "convert":
      return (attrs) => {
        const value = attrs[key];
        if (value === undefined) return;
        const converted = convert(value, config.converted_type!);
        if (converted !== undefined) attrs[key] = converted;
      };
    case "rename":
      return (attrs) => {
        const value = attrs[key];
        if (value === undefined) return;
        delete attrs[key];
        attrs[config.new_key!] = value;
      };
  }
}

/** value, else a copy of from_attribute (so the two keys never share a nested object), else default_value. */
function resolve(config: ActionConfig, attrs: Attributes): AnyValue | undefined {
  if (config.value !== undefined) return config.value;
  if (config.from_attribute !== undefined) {
    const source = attrs[config.from_attribute];
    if (source !== undefined) return typeof source === "object" ? structuredClone(source) : source;
  }
  return config.default_value;
}

function matching(attrs: Attributes, key: string | undefined, pattern: RegExp | undefined) {
  const names: string[] = [];
  if (key !== undefined && attrs[key] !== undefined) names.push(key);
  if (pattern) {
    for (const name of Object.keys(attrs)) {
      if (name !== key && pattern.test(name)) names.push(name);
    }
  }
  return names;
}

/** SHA-256 hex of the value's text form; bytes are hashed as they are. */
export function sha256(value: AnyValue): string {
  const hash = createHash("sha256");
  if (value instanceof Uint8Array) hash.update(value);
  else hash.update(textOf(value));
  return hash.digest("hex");
}

function textOf(value: AnyValue): string {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null) {
    return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  }
  return String(value);
}

/** As the Collector: a value that cannot be converted is left as it is. */
function convert(value: AnyValue, to: "int" | "double" | "string"): AnyValue | undefined {
  switch (to) {
    case "string":
      return value instanceof Uint8Array ? Buffer.from(value).toString("base64") : textOf(value);
    case "int":
      if (typeof value === "number") return Number.isFinite(value) ? Math.trunc(value) : undefined;
      if (typeof value === "boolean") return value ? 1 : 0;
      if (typeof value === "bigint") return value;
      if (typeof value === "string" && /^[+-]?\d+$/.test(value.trim())) {
        const big = BigInt(value.trim());
        return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(big)
          : big;
      }
      return undefined;
    case "double": {
      if (typeof value === "number") return value;
      if (typeof value === "boolean") return value ? 1 : 0;
      if (typeof value === "bigint") return Number(value);
      if (typeof value !== "string" || value.trim() === "") return undefined;
      const parsed = Number(value.trim());
      return Number.isNaN(parsed) ? undefined : parsed;
    }
  }
}
