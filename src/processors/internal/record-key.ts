import { z } from "zod";
import type { LogRecord } from "../../pdata/logs.js";
import type { AnyValue } from "../../pdata/value.js";

/** The attribute names that identify "the same thing" for keyed state (dedup, throttle). */
export const keyAttributes = z.array(z.string().min(1)).min(1, "list at least one attribute");

/**
 * The state key of a record, or undefined when it has none of the attributes (such records
 * are passed through untouched). Values are JSON-encoded so `"1"` and `1` stay distinct and
 * no separator can be forged from inside a value.
 */
export function recordKey(record: LogRecord, keys: readonly string[]): string | undefined {
  const values: unknown[] = [];
  let found = false;
  for (const key of keys) {
    const value = record.attributes[key];
    if (value === undefined) values.push(null);
    else {
      found = true;
      values.push(encodable(value));
    }
  }
  return found ? JSON.stringify(values) : undefined;
}

function encodable(value: AnyValue): unknown {
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  return value;
}
