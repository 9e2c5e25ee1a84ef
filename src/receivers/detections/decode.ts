import { type ParseError, parseTree, printParseErrorCode } from "jsonc-parser";
import { checkItem, type ItemLimits, isJsonObject, jsonTypeName } from "../internal/json-item.js";
import { arrayElementSpans, type Span } from "./array-spans.js";

/**
 * Splits a request body into detection payloads: one JSON object, a JSON array of objects, or
 * NDJSON (one object per line). Each item is accepted or rejected on its own, like OTLP's
 * partial success; only a body that cannot be read as a whole fails the request.
 */
export interface DecodeLimits extends ItemLimits {
  maxItems: number;
}

export interface AcceptedItem {
  index: number;
  line: number;
  value: Record<string, unknown>;
}

export interface RejectedItem {
  index: number;
  line: number;
  error: string;
  /** The item as sent, for the dead letter. */
  raw: string;
}

export type DecodeResult =
  | { ok: true; accepted: AcceptedItem[]; rejected: RejectedItem[]; stripped: number }
  | { ok: false; status: 400 | 413; error: string };

function lineAndColumn(text: string, offset: number, firstLine: number): string {
  const before = text.slice(0, offset);
  const line = firstLine + before.split("\n").length - 1;
  const column = offset - before.lastIndexOf("\n");
  return `line ${line} column ${column}`;
}

/**
 * JSON.parse says what is wrong but, on Node 20, not always where; the error path re-reads the
 * text with jsonc-parser (strict mode) only to find the offset. The happy path stays on
 * JSON.parse. jsonc-parser recurses per nesting level, so very deep input falls back to
 * JSON.parse's own message.
 */
function describeParseError(text: string, parseMessage: string, firstLine = 1): string {
  const errors: ParseError[] = [];
  try {
    parseTree(text, errors, {
      disallowComments: true,
      allowTrailingComma: false,
      allowEmptyContent: false,
    });
  } catch {
    errors.length = 0;
  }
  const first = errors[0];
  if (!first) {
    const where = firstLine > 1 ? ` on line ${firstLine}` : "";
    return `invalid JSON${where}: ${parseMessage.slice(0, 200)}`;
  }
  const reason = printParseErrorCode(first.error)
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase();
  return `invalid JSON at ${lineAndColumn(text, first.offset, firstLine)}: ${reason}`;
}

function tooMany(count: number, limits: DecodeLimits): DecodeResult {
  return {
    ok: false,
    status: 413,
    error: `${count} items exceed max_items ${limits.maxItems}; split the request`,
  };
}

/**
 * Where the elements of a JSON array body are. Finding them scans the whole body, which costs
 * about as much as JSON.parse, so it is done once and only when an element needs its line or
 * text (it was rejected).
 */
class ArraySpans {
  private spans: Span[] | undefined;

  constructor(private readonly text: string) {}

  at(i: number): Span | undefined {
    this.spans ??= arrayElementSpans(this.text);
    return this.spans[i];
  }

  line(i: number): number {
    return this.at(i)?.line ?? 1;
  }

  raw(i: number, element: unknown): string {
    const span = this.at(i);
    return span ? this.text.slice(span.start, span.end) : String(element);
  }
}

/** An accepted array element; its line is looked up only if something asks for it. */
class ArrayItem implements AcceptedItem {
  constructor(
    readonly index: number,
    readonly value: Record<string, unknown>,
    private readonly spans: ArraySpans,
  ) {}

  get line(): number {
    return this.spans.line(this.index);
  }
}

function lineOf(line: number | ArraySpans, index: number): number {
  return typeof line === "number" ? line : line.line(index);
}

class Collector {
  readonly accepted: AcceptedItem[] = [];
  readonly rejected: RejectedItem[] = [];
  stripped = 0;

  constructor(private readonly limits: DecodeLimits) {}

  /**
   * Takes one parsed item: accepted if it is an object within the limits. `line` is the body's
   * ArraySpans when finding it costs a scan of the body: an accepted item reads it only if it
   * is rejected later (by a preset), so most requests never pay for it.
   */
  add(value: unknown, index: number, line: number | ArraySpans, raw: () => string): void {
    if (!isJsonObject(value)) {
      const error = `expected a JSON object, got ${jsonTypeName(value)}`;
      this.rejected.push({ index, line: lineOf(line, index), error, raw: raw() });
      return;
    }
    const check = checkItem(value, this.limits);
    this.stripped += check.stripped;
    if (check.error) {
      this.rejected.push({ index, line: lineOf(line, index), error: check.error, raw: raw() });
    } else if (typeof line === "number") {
      this.accepted.push({ index, line, value });
    } else {
      this.accepted.push(new ArrayItem(index, value, line));
    }
  }

  result(): DecodeResult {
    return { ok: true, accepted: this.accepted, rejected: this.rejected, stripped: this.stripped };
  }
}

export function decodeNdjson(text: string, limits: DecodeLimits): DecodeResult {
  const lines = text.split("\n");
  let count = 0;
  for (const line of lines) if (line.trim() !== "") count++;
  if (count > limits.maxItems) return tooMany(count, limits);

  const items = new Collector(limits);
  let index = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.endsWith("\r") ? lines[i]!.slice(0, -1) : lines[i]!;
    if (raw.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      const message = describeParseError(raw, (error as Error).message, i + 1);
      items.rejected.push({ index, line: i + 1, error: message, raw });
      index++;
      continue;
    }
    items.add(value, index, i + 1, () => raw);
    index++;
  }
  return items.result();
}

export function decodeJson(text: string, limits: DecodeLimits): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, status: 400, error: describeParseError(text, (error as Error).message) };
  }
  const items = new Collector(limits);
  if (isJsonObject(value)) {
    items.add(value, 0, 1, () => text.trim());
    return items.result();
  }
  if (!Array.isArray(value)) {
    return {
      ok: false,
      status: 400,
      error: `expected a JSON object or an array of objects, got ${jsonTypeName(value)}`,
    };
  }
  if (value.length > limits.maxItems) return tooMany(value.length, limits);
  const spans = new ArraySpans(text);
  for (let i = 0; i < value.length; i++) {
    const element: unknown = value[i];
    items.add(element, i, spans, () => spans.raw(i, element));
  }
  return items.result();
}

export function decodeBody(text: string, ndjson: boolean, limits: DecodeLimits): DecodeResult {
  // A UTF-8 byte order mark is legal at the start of a body but not JSON.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return ndjson ? decodeNdjson(body, limits) : decodeJson(body, limits);
}
