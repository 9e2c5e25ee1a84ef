import { type ParseError, parseTree, printParseErrorCode } from "jsonc-parser";

/**
 * Splits a request body into detection payloads: one JSON object, a JSON array of objects, or
 * NDJSON (one object per line). Errors name the line and column so a sender can find them.
 */
export type DecodeResult =
  | { ok: true; items: Record<string, unknown>[] }
  | { ok: false; error: string };

function lineAndColumn(text: string, offset: number, firstLine: number): string {
  const before = text.slice(0, offset);
  const line = firstLine + before.split("\n").length - 1;
  const column = offset - before.lastIndexOf("\n");
  return `line ${line} column ${column}`;
}

/**
 * JSON.parse says what is wrong but, on Node 20, not always where; the error path re-reads the
 * text with jsonc-parser (strict mode) only to find the offset. The happy path stays on JSON.parse.
 */
function describeParseError(text: string, firstLine = 1): string {
  const errors: ParseError[] = [];
  parseTree(text, errors, {
    disallowComments: true,
    allowTrailingComma: false,
    allowEmptyContent: false,
  });
  const first = errors[0];
  if (!first) return `invalid JSON${firstLine > 1 ? ` on line ${firstLine}` : ""}`;
  const reason = printParseErrorCode(first.error)
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase();
  return `invalid JSON at ${lineAndColumn(text, first.offset, firstLine)}: ${reason}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
}

export function decodeBody(text: string, ndjson: boolean): DecodeResult {
  if (ndjson) {
    const items: Record<string, unknown>[] = [];
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        return { ok: false, error: describeParseError(line, i + 1) };
      }
      if (!isObject(value))
        return {
          ok: false,
          error: `line ${i + 1}: expected a JSON object, got ${typeName(value)}`,
        };
      items.push(value);
    }
    return { ok: true, items };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: describeParseError(text) };
  }
  if (isObject(value)) return { ok: true, items: [value] };
  if (!Array.isArray(value))
    return {
      ok: false,
      error: `expected a JSON object or an array of objects, got ${typeName(value)}`,
    };
  for (let i = 0; i < value.length; i++) {
    if (!isObject(value[i]))
      return {
        ok: false,
        error: `element ${i}: expected a JSON object, got ${typeName(value[i])}`,
      };
  }
  return { ok: true, items: value as Record<string, unknown>[] };
}
