import { describe, expect, it } from "vitest";
import { compileCondition, compileStatement, OttlParseError } from "../../src/expr/index.js";
import { Parser } from "../../src/expr/parser.js";

function parseError(run: () => unknown): OttlParseError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(OttlParseError);
    return error as OttlParseError;
  }
  throw new Error("expected a parse error");
}

describe("OTTL parser", () => {
  it("gives `not` the highest precedence and `and` precedence over `or`", () => {
    const node = new Parser().parseCondition("a == 1 or not b == 2 and c == 3");
    expect(node.kind).toBe("or");
    if (node.kind !== "or") return;
    expect(node.left.kind).toBe("compare");
    expect(node.right.kind).toBe("and");
    if (node.right.kind !== "and") return;
    expect(node.right.left.kind).toBe("not");
  });

  it("lets parentheses override precedence", () => {
    const node = new Parser().parseCondition("(a == 1 or b == 2) and c == 3");
    expect(node.kind).toBe("and");
  });

  it("parses nested keys, converters with keys, lists, enums and signed numbers", () => {
    const node = new Parser().parseStatement(
      'set(attributes["a"]["b"], Concat([body["x"], -1, +2.5, SEVERITY_NUMBER_WARN], "-")) where true',
    );
    expect(node.editor.name).toBe("set");
    const [target, value] = node.editor.args;
    expect(target).toMatchObject({ kind: "path", keys: [{ value: "a" }, { value: "b" }] });
    expect(value).toMatchObject({ kind: "call", name: "Concat" });
    const list = value?.kind === "call" ? value.args[0] : undefined;
    expect(list).toMatchObject({
      kind: "list",
      items: [
        { kind: "path" },
        { kind: "literal", type: "int", value: -1 },
        { kind: "literal", type: "float", value: 2.5 },
        { kind: "enum", name: "SEVERITY_NUMBER_WARN" },
      ],
    });
    expect(node.where).toMatchObject({ kind: "value" });
  });

  it("keeps 64-bit integers exact", () => {
    const node = new Parser().parseValue("1795165200123456789");
    expect(node).toMatchObject({ kind: "literal", value: 1795165200123456789n });
  });

  it.each([
    ['attributes["detection.action"] == "a")', 'unexpected token ")"', 38],
    ['attributes["x"] ==', "expected a value but found end of input", 19],
    [
      'attributes["x"]',
      'expected a comparison operator (==, !=, <, <=, >, >=) after "attributes["x"]" but found end of input',
      16,
    ],
    ['(attributes["x"] == 1', 'expected ")" to close the parenthesis but found end of input', 22],
    ["severity_number > 1 + 2", 'math expressions ("+") are not supported', 21],
    ["x == {}", "map literals ({…}) are not supported", 6],
    ["x == 0x01", "byte literals (0x…) are not supported", 6],
    ["attributes[1.5] == 1", 'expected a string or integer key but found token "1.5"', 12],
    ["x == 1 and", "expected a value but found end of input", 11],
    ["x == - 1", 'no space allowed after the sign "-"', 8],
    ["set(x, 1) == 1", '"set" is an editor and cannot be used as a value', 1],
    ["x == 99999999999999999999", "integer 99999999999999999999 does not fit in 64 bits", 6],
  ])("rejects %s", (source, reason, column) => {
    const error = parseError(() => new Parser().parseCondition(source));
    expect(error.reason.startsWith(reason)).toBe(true);
    expect(error.column).toBe(column);
  });

  it("formats the message with the column and a caret under the offending token", () => {
    const source = 'attributes["action"] != "b")';
    const error = parseError(() => compileCondition(source));
    expect(error.message).toBe(`unexpected token ")" at column 28\n${source}\n${" ".repeat(27)}^`);
    expect(error.summary).toBe('unexpected token ")" at column 28');
  });

  it.each([
    ['set(attributes["x"], 1) where', "expected a value but found end of input", 30],
    ['IsMatch(body, "x")', '"IsMatch" is a converter; a statement starts with an editor', 1],
    ['set(attributes["x"] 1)', 'expected ")" to close the argument list but found token "1"', 21],
    ["where x == 1", 'expected a function such as set(...) but found token "where"', 1],
  ])("rejects the statement %s", (source, reason, column) => {
    const error = parseError(() => new Parser().parseStatement(source));
    expect(error.reason.startsWith(reason)).toBe(true);
    expect(error.column).toBe(column);
  });
});

describe("OTTL compile errors", () => {
  it.each([
    ['foo["x"] == 1', 'unknown path "foo"', 1],
    ['severity_text["x"] == 1', '"severity_text" is not a map and cannot be indexed', 15],
    ["Nope(body) == 1", 'unknown converter "Nope"', 1],
    ['IsMatch(body, "(") and true', "argument 2 (pattern) of IsMatch: invalid regex", 15],
    [
      'IsMatch(body, attributes["p"])',
      "argument 2 (pattern) of IsMatch: expected a string literal",
      15,
    ],
    ["IsMatch(body)", "IsMatch(target, pattern) takes 2 arguments, got 1", 1],
    ["Len(body)", "Len does not return a boolean", 1],
    ["severity_number > SEVERITY_NUMBER_LOUD", 'unknown enum "SEVERITY_NUMBER_LOUD"', 19],
  ])("rejects %s with the column", (source, reason, column) => {
    const error = parseError(() => compileCondition(source));
    expect(error.reason.startsWith(reason)).toBe(true);
    expect(error.column).toBe(column);
  });

  it.each([
    ['frobnicate(attributes, "x")', 'unknown editor "frobnicate"', 1],
    ['set("x", 1)', "argument 1 (target) of set: expected a path", 5],
    [
      'delete_key(attributes, attributes["k"])',
      "argument 2 (key) of delete_key: expected a string literal",
      24,
    ],
    [
      'keep_keys(attributes, "a")',
      "argument 2 (keys) of keep_keys: expected a list of string literals",
      23,
    ],
    [
      "truncate_all(attributes, -1)",
      "argument 2 (limit) of truncate_all: limit must be a non-negative integer",
      26,
    ],
    [
      'limit(attributes, 1, ["a", "b"])',
      "argument 3 (priority_keys) of limit: 2 priority keys exceed the limit of 1",
      22,
    ],
    [
      'replace_all_patterns(attributes, "both", "a", "b")',
      'argument 2 (mode) of replace_all_patterns: mode must be "key" or "value"',
      34,
    ],
    [
      'delete_matching_keys(attributes, "[")',
      "argument 2 (pattern) of delete_matching_keys: invalid regex",
      34,
    ],
    ['set(attributes["x"], 1) where Len(body)', "Len does not return a boolean", 31],
  ])("rejects the statement %s with the column", (source, reason, column) => {
    const error = parseError(() => compileStatement(source));
    expect(error.reason.startsWith(reason)).toBe(true);
    expect(error.column).toBe(column);
  });

  it("rejects record fields in the resource context, naming the fix", () => {
    const error = parseError(() =>
      compileCondition("severity_number > 1", { context: "resource" }),
    );
    expect(error.reason).toMatch(/use context: log/);
  });
});
