/**
 * Checks one parsed JSON item against the receiver's limits and makes prototype-pollution keys
 * inert. The walk is iterative: JSON.parse accepts nesting millions deep, and a recursive walk
 * (or JSON.stringify) over such a value would overflow the stack.
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
 * Where a value sits in the item, kept as a link to its parent's frame and spelled out as a
 * path string only when an error names it: valid items, the common case, never pay for it.
 */
interface Frame {
  value: object;
  depth: number;
  parent: Frame | undefined;
  /** The key (object) or index (array) under which the parent holds this value. */
  key: string | number;
}

function pathOf(frame: Frame | undefined, key?: string | number): string {
  const keys: (string | number)[] = key === undefined ? [] : [key];
  for (let f = frame; f?.parent; f = f.parent) keys.push(f.key);
  let path = "$";
  for (let i = keys.length - 1; i >= 0; i--) {
    const k = keys[i]!;
    path = typeof k === "number" ? `${path}[${k}]` : pathKey(path, k);
  }
  return path;
}

/** Validates `item` and strips unsafe keys from it in place. */
export function checkItem(item: object, limits: ItemLimits): ItemCheck {
  let stripped = 0;
  const stack: Frame[] = [{ value: item, depth: 1, parent: undefined, key: "" }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const { value, depth } = frame;
    if (depth > limits.maxDepth) {
      return {
        error: `nesting deeper than max_depth ${limits.maxDepth} at ${pathOf(frame)}`,
        stripped,
      };
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const error = checkChild(value[i], frame, i, limits, stack);
        if (error) return { error, stripped };
      }
      continue;
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (UNSAFE_KEYS.has(key)) {
        delete record[key];
        stripped++;
        continue;
      }
      if (key.length > limits.maxStringLength) {
        return {
          error: `key longer than max_string_length ${limits.maxStringLength} at ${pathOf(frame)}`,
          stripped,
        };
      }
      const error = checkChild(record[key], frame, key, limits, stack);
      if (error) return { error, stripped };
    }
  }
  return { stripped };
}

function checkChild(
  child: unknown,
  parent: Frame,
  key: string | number,
  limits: ItemLimits,
  stack: Frame[],
): string | undefined {
  if (typeof child === "string") {
    if (child.length > limits.maxStringLength) {
      return `string of ${child.length} characters is longer than max_string_length ${limits.maxStringLength} at ${pathOf(parent, key)}`;
    }
  } else if (typeof child === "object" && child !== null) {
    stack.push({ value: child, depth: parent.depth + 1, parent, key });
  }
  return undefined;
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function jsonTypeName(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
}
