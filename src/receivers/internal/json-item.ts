/**
 * Checks one parsed JSON item against the receiver's limits and makes prototype-pollution keys
 * inert. JSON.parse accepts nesting millions deep, and JSON.stringify (or any walk that does not
 * stop at max_depth) would overflow the stack on such a value.
 */
export interface ItemLimits {
  /** Deepest nesting of objects and arrays; the item itself is depth 1. */
  maxDepth: number;
  /** Longest string value or object key, in characters. */
  maxStringLength: number;
}

/**
 * Keys that merge-style code (`target[key] = source[key]`, Object.assign, deep merge) turns into
 * a write to a prototype. JSON.parse keeps `__proto__` as a harmless own key, but one later
 * Object.assign makes it a prototype, so they are removed before anything else sees the item.
 */
export const UNSAFE_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

export interface ItemCheck {
  /** Why the item breaks a limit; undefined when it is acceptable. */
  error?: string;
  /** How many unsafe keys were removed (anywhere in the item). */
  stripped: number;
}

const PATH_KEY_MAX = 40;

function pathKey(path: string, key: string): string {
  const shown = key.length > PATH_KEY_MAX ? `${key.slice(0, PATH_KEY_MAX)}…` : key;
  return /^[A-Za-z_$][\w$]*$/.test(shown)
    ? `${path}.${shown}`
    : `${path}[${JSON.stringify(shown)}]`;
}

/**
 * A broken limit. Its path is collected on the way back out of the walk, one key per level,
 * and spelled out only then: valid items, the common case, never pay for it.
 */
class Violation {
  /** Keys (objects) and indices (arrays) from the offending value up to the item. */
  readonly keys: (string | number)[] = [];

  constructor(readonly reason: string) {}

  describe(): string {
    let path = "$";
    for (let i = this.keys.length - 1; i >= 0; i--) {
      const k = this.keys[i]!;
      path = typeof k === "number" ? `${path}[${k}]` : pathKey(path, k);
    }
    return `${this.reason} at ${path}`;
  }
}

/**
 * A recursive walk in document order. It never goes deeper than max_depth (at most 1000 by
 * the receivers' schemas), so the stack stays shallow whatever JSON.parse accepted; it costs
 * about half of an explicit stack of frames and key arrays. Hand-written because a schema
 * validator would walk the item once more and could not delete the unsafe keys in the same pass.
 */
class Walk {
  stripped = 0;

  constructor(private readonly limits: ItemLimits) {}

  /** Checks a child of a container at `depth`; undefined when it is within the limits. */
  child(value: unknown, depth: number): Violation | undefined {
    if (typeof value === "string") {
      if (value.length > this.limits.maxStringLength) {
        return new Violation(
          `string of ${value.length} characters is longer than max_string_length ${this.limits.maxStringLength}`,
        );
      }
    } else if (typeof value === "object" && value !== null) {
      if (depth + 1 > this.limits.maxDepth) {
        return new Violation(`nesting deeper than max_depth ${this.limits.maxDepth}`);
      }
      return this.container(value, depth + 1);
    }
    return undefined;
  }

  container(value: object, depth: number): Violation | undefined {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const violation = this.child(value[i], depth);
        if (violation) {
          violation.keys.push(i);
          return violation;
        }
      }
      return undefined;
    }
    const record = value as Record<string, unknown>;
    // for…in rather than Object.keys: no key array per object. JSON.parse output has only own
    // enumerable keys (its prototype, Object.prototype, has none).
    for (const key in record) {
      // The length test first (9 and 11 are the lengths of UNSAFE_KEYS): most keys fail it.
      if ((key.length === 9 || key.length === 11) && UNSAFE_KEYS.has(key)) {
        delete record[key];
        this.stripped++;
        continue;
      }
      if (key.length > this.limits.maxStringLength) {
        return new Violation(`key longer than max_string_length ${this.limits.maxStringLength}`);
      }
      const violation = this.child(record[key], depth);
      if (violation) {
        violation.keys.push(key);
        return violation;
      }
    }
    return undefined;
  }
}

/**
 * Validates `item` and strips unsafe keys from it in place. When the item breaks several
 * limits, the error names the first offending value in document order.
 */
export function checkItem(item: object, limits: ItemLimits): ItemCheck {
  if (limits.maxDepth < 1) {
    return { error: `nesting deeper than max_depth ${limits.maxDepth} at $`, stripped: 0 };
  }
  const walk = new Walk(limits);
  const violation = walk.container(item, 1);
  return violation
    ? { error: violation.describe(), stripped: walk.stripped }
    : { stripped: walk.stripped };
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function jsonTypeName(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
}
