import { describe, expect, it, vi } from "vitest";
import { compileCondition, compileValue, OttlRuntimeError } from "../../src/expr/index.js";
import { Parser } from "../../src/expr/parser.js";
import type { LogRecord } from "../../src/pdata/logs.js";
import { logRecord } from "../helpers/records.js";

function record(): LogRecord {
  return logRecord({
    severityNumber: 17,
    severityText: "High",
    body: { title: "prompt injection", nested: { depth: 2 } },
    attributes: {
      "detection.severity": "high",
      "detection.action": "blocked",
      "detection.confidence": 0.92,
      count: 3,
      big: 9007199254740993n,
      flag: true,
      list: ["a", "b"],
      map: { inner: { leaf: "x" } },
      bytes: new Uint8Array([1, 2]),
      empty: null,
    },
    resource: { attributes: { "service.name": "support-bot", "k8s.cluster.name": "prod" } },
    scope: { name: "tripline/test", version: "1.0" },
    traceId: "0af7651916cd43dd8448eb211c80319c",
  });
}

const check = (source: string, r = record()) => compileCondition(source)(r);

describe("OTTL evaluation: comparisons", () => {
  it.each([
    // strings
    ['attributes["detection.severity"] == "high"', true],
    ['attributes["detection.severity"] != "high"', false],
    ['attributes["detection.severity"] < "low"', true],
    ['"b" >= "a"', true],
    // int and float mix, compared as numbers
    ['attributes["count"] == 3.0', true],
    ['attributes["count"] > 2.5', true],
    ['attributes["detection.confidence"] >= 0.9', true],
    ['attributes["detection.confidence"] < 1', true],
    // 64-bit ints stay exact
    ['attributes["big"] == 9007199254740993', true],
    ['attributes["big"] > 9007199254740992', true],
    ['attributes["big"] > 1.5', true],
    ["time_unix_nano == 1795165200123456789", true],
    ["time_unix_nano < observed_time_unix_nano", true],
    // nil: equal only to nil; ordering against nil is false
    ['attributes["missing"] == nil', true],
    ['attributes["empty"] == nil', true],
    ['attributes["missing"] != nil', false],
    ['attributes["count"] != nil', true],
    ['attributes["missing"] < 1', false],
    ['attributes["missing"] >= 1', false],
    ['attributes["missing"] != 1', true],
    ["nil == nil", true],
    ["nil <= nil", false],
    // different types: != is true, everything else false
    ['attributes["count"] == "3"', false],
    ['attributes["count"] != "3"', true],
    ['attributes["count"] < "4"', false],
    ['attributes["flag"] == 1', false],
    ['attributes["flag"] != 1', true],
    // booleans: false < true
    ['attributes["flag"] == true', true],
    ["false < true", true],
    ["true <= false", false],
    // maps and lists: equality only
    ['attributes["list"] == ["a", "b"]', true],
    ['attributes["list"] != ["a"]', true],
    ['attributes["list"] < ["b"]', false],
    ['body["nested"] == body["nested"]', true],
    ['attributes["map"] == attributes["list"]', false],
    // enums are ints
    ["severity_number == SEVERITY_NUMBER_ERROR", true],
    ["severity_number >= SEVERITY_NUMBER_WARN and severity_number < SEVERITY_NUMBER_FATAL", true],
    ["SEVERITY_NUMBER_FATAL4 == 24", true],
    ["SEVERITY_NUMBER_INFO2 == 10", true],
  ])("%s → %s", (source, expected) => {
    expect(check(source)).toBe(expected);
  });
});

describe("OTTL evaluation: paths", () => {
  it.each([
    ['attributes["map"]["inner"]["leaf"] == "x"', true],
    ['attributes["map"]["nope"]["leaf"] == nil', true],
    ['attributes["list"][1] == "b"', true],
    ['attributes["list"][5] == nil', true],
    ['attributes["count"]["x"] == nil', true],
    ['resource.attributes["service.name"] == "support-bot"', true],
    ['log.attributes["detection.action"] == "blocked"', true],
    ['body["title"] == "prompt injection"', true],
    ['body["nested"]["depth"] == 2', true],
    ['severity_text == "High"', true],
    ['event_name == "security.detection"', true],
    ['trace_id == "0af7651916cd43dd8448eb211c80319c"', true],
    ["span_id == nil", true],
    ['scope.name == "tripline/test"', true],
    ['instrumentation_scope.version == "1.0"', true],
  ])("%s → %s", (source, expected) => {
    expect(check(source)).toBe(expected);
  });

  it("reads a string body and a body that is not a map", () => {
    expect(check('body == "plain"', logRecord({ body: "plain" }))).toBe(true);
    expect(check('body["title"] == nil', logRecord({ body: "plain" }))).toBe(true);
  });

  it("resolves attributes to the resource in the resource context", () => {
    const condition = compileCondition('attributes["k8s.cluster.name"] == "prod"', {
      context: "resource",
    });
    expect(condition(record())).toBe(true);
    expect(compileCondition('attributes["count"] == 3', { context: "resource" })(record())).toBe(
      false,
    );
  });
});

describe("OTTL evaluation: logic", () => {
  it.each([
    ["true and false", false],
    ["true or false", true],
    ["not true", false],
    ["not false and false", false],
    ["not (false and false)", true],
    ["false or true and false", false],
    ["(false or true) and true", true],
    ["not not true", true],
  ])("%s → %s", (source, expected) => {
    expect(check(source)).toBe(expected);
  });

  it("short-circuits: the right side is not evaluated once the result is known", () => {
    const r = record();
    // ToLowerCase of a number throws; `and`/`or` must not reach it.
    expect(compileCondition('false and ToLowerCase(attributes["count"]) == "x"')(r)).toBe(false);
    expect(compileCondition('true or ToLowerCase(attributes["count"]) == "x"')(r)).toBe(true);
    expect(() => compileCondition('true and ToLowerCase(attributes["count"]) == "x"')(r)).toThrow(
      OttlRuntimeError,
    );
  });
});

describe("OTTL converters", () => {
  it.each([
    ['IsMatch(attributes["detection.severity"], "^hi")', true],
    ['IsMatch(attributes["detection.severity"], "^HI")', false],
    ['IsMatch(attributes["detection.severity"], "(?i)^HI")', true],
    ['IsMatch(attributes["missing"], ".*")', false],
    ['IsMatch(attributes["count"], "^3$")', true],
    ['IsMatch(attributes["flag"], "^true$")', true],
    ['IsMatch(attributes["map"], "\\"leaf\\":\\"x\\"")', true],
    ['IsMatch(body["title"], "(?P<word>inj)ection")', true],
    ['IsString(attributes["detection.severity"])', true],
    ['IsString(attributes["count"])', false],
    ['IsInt(attributes["count"])', true],
    ['IsInt(attributes["big"])', true],
    ['IsInt(attributes["detection.confidence"])', false],
    ['IsDouble(attributes["detection.confidence"])', true],
    ['IsDouble(attributes["count"])', false],
    ['IsBool(attributes["flag"])', true],
    ['IsBool(attributes["missing"])', false],
    ["IsMap(body)", true],
    ['IsMap(attributes["list"])', false],
    ['IsList(attributes["list"])', true],
    ['Len(attributes["list"]) == 2', true],
    ['Len(attributes["detection.severity"]) == 4', true],
    ['Len("héllo") == 5', true],
    ["Len(body) == 2", true],
    ['Len(attributes["bytes"]) == 2', true],
    ['ToLowerCase(severity_text) == "high"', true],
    ['ToUpperCase(severity_text) == "HIGH"', true],
    ['Int("42") == 42', true],
    ['Int("2.0") == nil', true],
    ["Int(2.9) == 2", true],
    ["Int(-2.9) == -2", true],
    ["Int(true) == 1", true],
    ['Int(attributes["list"]) == nil', true],
    ['Double("1.5") == 1.5', true],
    ['Double("abc") == nil', true],
    ["Double(3) == 3", true],
    ["Double(false) == 0", true],
    ['String(42) == "42"', true],
    ['String(true) == "true"', true],
    ['String(attributes["missing"]) == nil', true],
    ['String(attributes["list"]) == "[\\"a\\",\\"b\\"]"', true],
    ['String(attributes["bytes"]) == "0102"', true],
  ])("%s → %s", (source, expected) => {
    expect(check(source)).toBe(expected);
  });

  it.each([
    [
      'Concat([attributes["detection.severity"], attributes["count"], true, nil, "x"], "/")',
      "high/3/true//x",
    ],
    ['Concat([attributes["list"], attributes["map"], "only"], "-")', "only"],
    ['Concat(["a", "b"], "")', "ab"],
    ['Concat([attributes["map"]["inner"]["leaf"], severity_number], ":")', "x:17"],
  ])("%s → %s", (source, expected) => {
    expect(compileValue(source)(record())).toBe(expected);
  });

  it("indexes a converter's result", () => {
    expect(compileValue('String(attributes["list"])')(record())).toBe('["a","b"]');
  });

  it.each([
    ['ToLowerCase(attributes["count"]) == "3"', /ToLowerCase expects a string, got int 3/],
    ['Len(attributes["count"]) == 1', /Len expects a string, list or map, got int 3/],
    ['Len(attributes["missing"]) == 1', /got nil/],
    [
      'Concat(attributes["detection.severity"], "-") == ""',
      /Concat expects a list, got string "high"/,
    ],
  ])("%s fails at run time", (source, message) => {
    expect(() => check(source)).toThrow(OttlRuntimeError);
    expect(() => check(source)).toThrow(message);
  });
});

describe("OTTL compilation", () => {
  it("parses once: evaluating many records never calls the parser", () => {
    const parse = vi.spyOn(Parser.prototype, "parseCondition");
    const condition = compileCondition(
      'attributes["detection.severity"] == "high" and IsMatch(body["title"], "injection")',
    );
    expect(parse).toHaveBeenCalledTimes(1);
    const results = Array.from({ length: 1000 }, () => condition(record()));
    expect(results.every(Boolean)).toBe(true);
    expect(parse).toHaveBeenCalledTimes(1);
    parse.mockRestore();
  });

  it("compiles a regex once, not per record", () => {
    const Original = RegExp;
    let built = 0;
    globalThis.RegExp = class extends Original {
      constructor(pattern: string | RegExp, flags?: string) {
        super(pattern, flags);
        built++;
      }
    } as RegExpConstructor;
    try {
      const condition = compileCondition('IsMatch(body["title"], "inj.ction")');
      expect(built).toBe(1);
      for (let i = 0; i < 100; i++) expect(condition(record())).toBe(true);
      expect(built).toBe(1);
    } finally {
      globalThis.RegExp = Original;
    }
  });
});
