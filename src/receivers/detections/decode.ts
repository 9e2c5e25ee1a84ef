/**
 * Splits a request body into detection payloads: one JSON object, a JSON array of objects, or
 * NDJSON (one object per line). Errors name the line and column so a sender can find them.
 */
export type DecodeResult = { ok: true; items: Record<string, unknown>[] } | { ok: false; error: string };

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  const column = position - before.lastIndexOf("\n");
  return `line ${line} column ${column}`;
}

function describeParseError(error: unknown, text: string, lineOffset = 0): string {
  const message = error instanceof Error ? error.message : String(error);
  const position = /position (\d+)/.exec(message);
  const reason = message.replace(/ in JSON at position \d+.*$/, "").replace(/^JSON\.parse: /, "");
  if (!position) return `invalid JSON${lineOffset ? ` on line ${lineOffset}` : ""}: ${reason}`;
  const where = lineAndColumn(text, Number(position[1]));
  return `invalid JSON at ${lineOffset ? where.replace(/^line 1/, `line ${lineOffset}`) : where}: ${reason}`;
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
      } catch (error) {
        return { ok: false, error: describeParseError(error, line, i + 1) };
      }
      if (!isObject(value)) return { ok: false, error: `line ${i + 1}: expected a JSON object, got ${typeName(value)}` };
      items.push(value);
    }
    return { ok: true, items };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: describeParseError(error, text) };
  }
  if (isObject(value)) return { ok: true, items: [value] };
  if (!Array.isArray(value)) return { ok: false, error: `expected a JSON object or an array of objects, got ${typeName(value)}` };
  for (let i = 0; i < value.length; i++) {
    if (!isObject(value[i])) return { ok: false, error: `element ${i}: expected a JSON object, got ${typeName(value[i])}` };
  }
  return { ok: true, items: value as Record<string, unknown>[] };
}
