import { OttlParseError } from "./errors.js";

export type TokenKind = "ident" | "string" | "int" | "float" | "op" | "punct" | "bytes" | "eof";

export interface Token {
  kind: TokenKind;
  /** The text as written (for strings: with quotes and escapes). */
  text: string;
  /** 0-based offset into the source. */
  pos: number;
  /** The decoded string for `string` tokens. */
  value?: string;
}

const PUNCT = new Set(["(", ")", "[", "]", "{", "}", ",", ".", ":"]);
const ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", n: "\n", t: "\t", r: "\r" };

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
const isIdentStart = (c: string | undefined) => c !== undefined && /[A-Za-z_]/.test(c);
const isIdentPart = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_]/.test(c);

/**
 * Splits OTTL source into tokens. Signs are left to the parser, which folds `-` followed by
 * a number into a negative literal, since only it knows whether `-` starts a value.
 */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const fail = (reason: string, pos: number): never => {
    throw new OttlParseError(reason, pos + 1, source);
  };
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    const start = i;
    if (c === '"') {
      let value = "";
      i++;
      for (;;) {
        const ch = source[i];
        if (ch === undefined) fail("unterminated string", start);
        if (ch === '"') break;
        if (ch === "\\") {
          const next = source[i + 1];
          if (next !== undefined && next in ESCAPES) {
            value += ESCAPES[next];
            i += 2;
          } else if (next === "u" && /^[0-9a-fA-F]{4}$/.test(source.slice(i + 2, i + 6))) {
            value += String.fromCharCode(Number.parseInt(source.slice(i + 2, i + 6), 16));
            i += 6;
          } else {
            fail(
              `unknown escape "\\${next ?? ""}" in string (write "\\\\" for a backslash, e.g. "\\\\d" in a regex)`,
              i,
            );
          }
          continue;
        }
        value += ch;
        i++;
      }
      i++;
      tokens.push({ kind: "string", text: source.slice(start, i), pos: start, value });
      continue;
    }
    if (c === "0" && (source[i + 1] === "x" || source[i + 1] === "X")) {
      i += 2;
      while (isIdentPart(source[i])) i++;
      tokens.push({ kind: "bytes", text: source.slice(start, i), pos: start });
      continue;
    }
    if (isDigit(c) || (c === "." && isDigit(source[i + 1]))) {
      let float = false;
      while (isDigit(source[i])) i++;
      if (source[i] === "." && isDigit(source[i + 1])) {
        float = true;
        i++;
        while (isDigit(source[i])) i++;
      }
      if (source[i] === "e" || source[i] === "E") {
        const save = i;
        i++;
        if (source[i] === "+" || source[i] === "-") i++;
        if (isDigit(source[i])) {
          float = true;
          while (isDigit(source[i])) i++;
        } else {
          i = save;
        }
      }
      if (isIdentStart(source[i])) fail(`invalid number "${source.slice(start, i + 1)}"`, start);
      tokens.push({ kind: float ? "float" : "int", text: source.slice(start, i), pos: start });
      continue;
    }
    if (isIdentStart(c)) {
      while (isIdentPart(source[i])) i++;
      tokens.push({ kind: "ident", text: source.slice(start, i), pos: start });
      continue;
    }
    const two = source.slice(i, i + 2);
    if (two === "==" || two === "!=" || two === "<=" || two === ">=") {
      i += 2;
      tokens.push({ kind: "op", text: two, pos: start });
      continue;
    }
    if (c === "<" || c === ">" || c === "+" || c === "-" || c === "*" || c === "/") {
      i++;
      tokens.push({ kind: "op", text: c, pos: start });
      continue;
    }
    if (PUNCT.has(c)) {
      i++;
      tokens.push({ kind: "punct", text: c, pos: start });
      continue;
    }
    if (c === "=") fail('unexpected "=" (use "==" to compare)', start);
    if (c === "'") fail("strings are written in double quotes", start);
    fail(`unexpected character "${c}"`, start);
  }
  tokens.push({ kind: "eof", text: "", pos: source.length });
  return tokens;
}
