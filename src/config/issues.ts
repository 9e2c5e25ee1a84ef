import type { z } from "zod";
import type { Diagnostic, PathSegment, SourceLocation } from "./diagnostic.js";
import { type LocationMap, pathKey } from "./source.js";
import { closest, didYouMean } from "./suggest.js";

type Issue = z.core.$ZodIssue;

/** Nearest recorded location at or above `path`: a missing field points at its parent. */
export function locate(
  locations: LocationMap,
  path: readonly PathSegment[],
): SourceLocation | undefined {
  for (let n = path.length; n >= 0; n--) {
    const found = locations.values.get(pathKey(path.slice(0, n)));
    if (found) return found;
  }
  return undefined;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeInput(input: unknown, location: SourceLocation | undefined): string {
  // Values that came from ${env:…} or ${file:…} may be secrets: name the reference instead.
  if (location?.reference) return `the value of ${location.reference}`;
  if (input === null) return "null";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "object") return "a mapping";
  const text = JSON.stringify(input) ?? String(input);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** The keys a strict object schema allows at `path`, for "did you mean" on unknown keys. */
function knownKeys(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  // biome-ignore lint/suspicious/noExplicitAny: zod's internal definition is untyped by design
  let current: any = schema;
  const unwrap = () => {
    for (let i = 0; i < 10 && current; i++) {
      const def = current._zod?.def;
      if (!def) return;
      if (def.innerType) current = def.innerType;
      else if (def.type === "pipe") current = def.in;
      else return;
    }
  };
  unwrap();
  for (const segment of path) {
    const def = current?._zod?.def;
    if (def?.type === "object") current = def.shape[segment];
    else if (def?.type === "record") current = def.valueType;
    else if (def?.type === "array") current = def.element;
    else return [];
    unwrap();
  }
  const def = current?._zod?.def;
  return def?.type === "object" ? Object.keys(def.shape) : [];
}

const TYPE_NAMES: Record<string, string> = {
  object: "a mapping",
  record: "a mapping",
  array: "a list",
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
};

function expectation(issue: Issue): string {
  switch (issue.code) {
    case "invalid_type":
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small": {
      const min = Number(issue.minimum);
      if (issue.origin === "number")
        return `expected a number ${issue.inclusive ? ">=" : ">"} ${min}`;
      if (issue.origin === "array") return `expected at least ${min} item${min === 1 ? "" : "s"}`;
      if (issue.origin === "string")
        return min === 1 ? "expected a non-empty string" : `expected at least ${min} characters`;
      return issue.message;
    }
    case "too_big": {
      const max = Number(issue.maximum);
      if (issue.origin === "number")
        return `expected a number ${issue.inclusive ? "<=" : "<"} ${max}`;
      if (issue.origin === "array") return `expected at most ${max} items`;
      if (issue.origin === "string") return `expected at most ${max} characters`;
      return issue.message;
    }
    default:
      return issue.message;
  }
}

/** Turns zod issues into diagnostics that name the file, line, column, key path and found value. */
export function issuesToDiagnostics(
  issues: readonly Issue[],
  base: readonly PathSegment[],
  schema: z.ZodType,
  locations: LocationMap,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const required = new Set<Diagnostic>();
  const suggested = new Set<string>(); // paths of keys offered as "did you mean"
  for (const issue of issues) {
    const path = [...base, ...(issue.path as PathSegment[])];
    if (issue.code === "unrecognized_keys") {
      const candidates = knownKeys(schema, issue.path as PathSegment[]);
      for (const key of issue.keys) {
        const keyPath = [...path, key];
        const match = closest(key, candidates);
        if (match) suggested.add(pathKey([...path, match]));
        out.push({
          severity: "error",
          location: locations.keys.get(pathKey(keyPath)) ?? locate(locations, keyPath),
          path: keyPath,
          message: `unknown key "${key}"${didYouMean(key, candidates)}${candidates.length ? `; valid keys: ${candidates.join(", ")}` : ""}`,
        });
      }
      continue;
    }
    const location = locate(locations, path);
    let input = issue.input;
    if (issue.code === "custom" && isMapping(input)) {
      // A refinement across fields (e.g. max >= size) sees the whole mapping: show the field.
      const field = issue.path[issue.path.length - 1];
      if (typeof field !== "string" || !(field in input)) {
        out.push({ severity: "error", location, path, message: issue.message });
        continue;
      }
      input = input[field];
    }
    if (input === undefined && issue.code === "invalid_type") {
      const diagnostic: Diagnostic = {
        severity: "error",
        location,
        path,
        message: `is required (${expectation(issue)})`,
      };
      required.add(diagnostic);
      out.push(diagnostic);
      continue;
    }
    let message = `${expectation(issue)} (got ${describeInput(input, location)})`;
    if (issue.code === "invalid_value" && typeof input === "string" && !location?.reference) {
      const hint = closest(input, issue.values.map(String));
      if (hint) message += `; did you mean "${hint}"?`;
    }
    out.push({ severity: "error", location, path, message });
  }
  // "path is required" next to `unknown key "pth" (did you mean "path"?)` says the same twice.
  return out.filter((d) => !(required.has(d) && suggested.has(pathKey(d.path))));
}
