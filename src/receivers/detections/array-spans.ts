export interface Span {
  /** Offsets into the text: `text.slice(start, end)` is the element as sent. */
  start: number;
  end: number;
  /** 1-based line the element starts on. */
  line: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const COMMA = 0x2c;

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/**
 * Where each element of a top-level JSON array starts and ends, so a rejected element can be
 * dead-lettered exactly as sent and reported with its line. Hand-written because no JSON
 * library at hand gives offsets without recursing per nesting level (jsonc-parser does, and
 * overflows the stack on deep input); the text must already have passed JSON.parse, so this
 * only tracks strings and bracket depth, iteratively.
 */
export function arrayElementSpans(text: string): Span[] {
  const spans: Span[] = [];
  let depth = 0;
  let line = 1;
  let inString = false;
  let start = -1;
  let startLine = 1;
  let lastNonSpace = -1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === NEWLINE) line++;
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
      lastNonSpace = i;
      continue;
    }
    if (isWhitespace(code)) continue;
    if (depth === 1 && start === -1 && code !== 0x5d && code !== COMMA) {
      start = i;
      startLine = line;
    }
    if (code === QUOTE) inString = true;
    else if (code === 0x5b || code === 0x7b) depth++;
    else if (code === 0x5d || code === 0x7d) depth--;
    if (depth === 0 || (depth === 1 && code === COMMA)) {
      if (start !== -1) spans.push({ start, end: lastNonSpace + 1, line: startLine });
      start = -1;
      if (depth === 0) break;
      continue;
    }
    lastNonSpace = i;
  }
  return spans;
}
