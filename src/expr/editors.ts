/**
 * Editors: the functions a `transform` statement calls to change a record (names start with
 * a lowercase letter). Semantics follow the Collector's ottlfuncs.
 */
import type { LogRecord } from "../pdata/logs.js";
import { OttlRuntimeError } from "./errors.js";
import type { Args } from "./functions.js";
import type { PathAccess, WriteTarget } from "./paths.js";
import { goReplacement } from "./regex.js";
import { describeValue, isMap, type Value } from "./values.js";

export interface EditorArgs extends Args {
  /** The argument as a path, failing at compile time when it is anything else. */
  path(i: number, settable?: boolean): PathAccess;
}

export interface CompiledEditor {
  run(record: LogRecord): void;
  writes: WriteTarget;
}

export interface EditorSpec {
  params: readonly string[];
  optional?: number;
  compile(args: EditorArgs): CompiledEditor;
}

/** The map at a path, or undefined when the path is nil (editing nothing is not an error). */
function mapAt(
  editor: string,
  path: PathAccess,
  record: LogRecord,
): Record<string, Value> | undefined {
  const value = path.get(record);
  if (value === null) return undefined;
  if (!isMap(value)) {
    throw new OttlRuntimeError(
      `${editor} expects a map at ${path.text}, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** OTTL copies on assignment; without this two fields would share one object. */
function copy(value: Value): Value {
  return typeof value === "object" && value !== null ? structuredClone(value) : value;
}

function truncate(text: string, limit: number): string {
  if (text.length <= limit) return text;
  // Count code points, not UTF-16 units, so a character is never cut in half.
  const chars = Array.from(text);
  return chars.length <= limit ? text : chars.slice(0, limit).join("");
}

function mapEditor(
  params: readonly string[],
  build: (args: EditorArgs, name: string) => (map: Record<string, Value>) => void,
): EditorSpec {
  return {
    params,
    compile: (args) => {
      const target = args.path(0);
      const edit = build(args, args.name);
      return {
        writes: target.writes,
        run: (r) => {
          const map = mapAt(args.name, target, r);
          if (map) edit(map);
        },
      };
    },
  };
}

export const EDITORS: Record<string, EditorSpec> = {
  set: {
    params: ["target", "value"],
    compile: (args) => {
      const target = args.path(0, true);
      const value = args.value(1);
      return {
        writes: target.writes,
        run: (r) => {
          const v = value(r);
          // As in the Collector: setting nil (e.g. a missing attribute) does nothing.
          if (v !== null) target.set!(r, copy(v));
        },
      };
    },
  },
  delete_key: mapEditor(["target", "key"], (args) => {
    const key = args.string(1);
    return (map) => {
      delete map[key];
    };
  }),
  delete_matching_keys: mapEditor(["target", "pattern"], (args) => {
    const pattern = args.regex(1);
    return (map) => {
      for (const key of Object.keys(map)) if (pattern.test(key)) delete map[key];
    };
  }),
  keep_keys: mapEditor(["target", "keys"], (args) => {
    const keep = new Set(args.strings(1));
    return (map) => {
      for (const key of Object.keys(map)) if (!keep.has(key)) delete map[key];
    };
  }),
  truncate_all: mapEditor(["target", "limit"], (args) => {
    const limit = args.int(1);
    if (limit < 0) args.fail(1, "limit must be a non-negative integer");
    return (map) => {
      for (const [key, value] of Object.entries(map)) {
        if (typeof value === "string") map[key] = truncate(value, limit);
      }
    };
  }),
  limit: {
    params: ["target", "limit", "priority_keys"],
    optional: 1,
    compile: (args) => {
      const target = args.path(0);
      const limit = args.int(1);
      if (limit < 0) args.fail(1, "limit must be a non-negative integer");
      const priority = args.nodes.length > 2 ? args.strings(2) : [];
      if (priority.length > limit) {
        args.fail(2, `${priority.length} priority keys exceed the limit of ${limit}`);
      }
      return {
        writes: target.writes,
        run: (r) => {
          const map = mapAt("limit", target, r);
          if (!map) return;
          const keys = Object.keys(map);
          if (keys.length <= limit) return;
          // Deterministic, unlike the Collector's random choice: priority keys first, then
          // the earliest keys, so the same input always keeps the same attributes.
          const kept = new Set(priority.filter((k) => Object.hasOwn(map, k)));
          for (const key of keys) {
            if (kept.size >= limit) break;
            kept.add(key);
          }
          for (const key of keys) if (!kept.has(key)) delete map[key];
        },
      };
    },
  },
  replace_pattern: {
    params: ["target", "regex", "replacement"],
    compile: (args) => {
      const target = args.path(0, true);
      const pattern = args.regex(1, true);
      const replacement = goReplacement(args.string(2));
      return {
        writes: target.writes,
        run: (r) => {
          const value = target.get(r);
          if (typeof value !== "string") return;
          const replaced = value.replace(pattern, replacement);
          if (replaced !== value) target.set!(r, replaced);
        },
      };
    },
  },
  replace_all_patterns: mapEditor(["target", "mode", "regex", "replacement"], (args) => {
    const mode = args.string(1);
    if (mode !== "key" && mode !== "value") args.fail(1, `mode must be "key" or "value"`);
    const pattern = args.regex(2, true);
    const replacement = goReplacement(args.string(3));
    if (mode === "value") {
      return (map) => {
        for (const [key, value] of Object.entries(map)) {
          if (typeof value === "string") map[key] = value.replace(pattern, replacement);
        }
      };
    }
    return (map) => {
      for (const [key, value] of Object.entries(map)) {
        const renamed = key.replace(pattern, replacement);
        if (renamed === key) continue;
        delete map[key];
        map[renamed] = value;
      }
    };
  }),
};
