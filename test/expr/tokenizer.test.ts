import { describe, expect, it } from "vitest";
import { OttlParseError } from "../../src/expr/errors.js";
import { tokenize } from "../../src/expr/tokenizer.js";

const kinds = (source: string) => tokenize(source).map((t) => `${t.kind}:${t.text}`);

describe("OTTL tokenizer", () => {
  it("splits paths, operators, literals and keywords with their offsets", () => {
    const tokens = tokenize('attributes["a.b"] >= 1.5 and not x != nil');
    expect(tokens.map((t) => [t.kind, t.text, t.pos])).toEqual([
      ["ident", "attributes", 0],
      ["punct", "[", 10],
      ["string", '"a.b"', 11],
      ["punct", "]", 16],
      ["op", ">=", 18],
      ["float", "1.5", 21],
      ["ident", "and", 25],
      ["ident", "not", 29],
      ["ident", "x", 33],
      ["op", "!=", 35],
      ["ident", "nil", 38],
      ["eof", "", 41],
    ]);
  });

  it("decodes string escapes", () => {
    const [token] = tokenize(String.raw`"a\"b\\c\n\t\u00e9"`);
    expect(token?.value).toBe('a"b\\c\n\té');
  });

  it("tells ints from floats, including exponents and leading dots", () => {
    expect(kinds("1 1.0 .5 2e3 7E-2 10")).toEqual([
      "int:1",
      "float:1.0",
      "float:.5",
      "float:2e3",
      "float:7E-2",
      "int:10",
      "eof:",
    ]);
  });

  it.each([
    ['"abc', "unterminated string", 1],
    [String.raw`x == "\d+"`, 'unknown escape "\\d"', 7],
    ["x = 1", 'unexpected "=" (use "==" to compare)', 3],
    ["x == 'a'", "strings are written in double quotes", 6],
    ["x == 1a", 'invalid number "1a"', 6],
    ["x == #", 'unexpected character "#"', 6],
  ])("rejects %s with the column", (source, reason, column) => {
    try {
      tokenize(source);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(OttlParseError);
      const e = error as OttlParseError;
      expect(e.reason.startsWith(reason)).toBe(true);
      expect(e.column).toBe(column);
    }
  });
});
