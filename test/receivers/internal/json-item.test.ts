// Paths in checkItem's errors are spelled out only on error, from parent links; element lines of
// a JSON array body are found only when an item needs one. Both must say what they said before.
import { describe, expect, it } from "vitest";
import { decodeBody } from "../../../src/receivers/detections/decode.js";
import { checkItem } from "../../../src/receivers/internal/json-item.js";

const limits = { maxItems: 100, maxDepth: 6, maxStringLength: 10 };

describe("checkItem error paths", () => {
  it("names the offending value through objects, arrays and keys that need quoting", () => {
    const item = { a: { "b-c": [1, { d: "x".repeat(11) }] } };
    expect(checkItem(item, limits).error).toBe(
      'string of 11 characters is longer than max_string_length 10 at $.a["b-c"][1].d',
    );
    const long = { list: [{ ok: 1 }, { [`k${"y".repeat(10)}`]: 1 }] };
    expect(checkItem(long, limits).error).toBe("key longer than max_string_length 10 at $.list[1]");
    const deep = { a: [[[[{ b: {} }]]]] };
    expect(checkItem(deep, limits).error).toBe(
      "nesting deeper than max_depth 6 at $.a[0][0][0][0].b",
    );
  });

  it("names the first offending value in document order when there are several", () => {
    const long = "x".repeat(11);
    // A nested violation before a shallower one: the nested one comes first in the text.
    expect(checkItem({ a: { b: long }, c: long }, limits).error).toBe(
      "string of 11 characters is longer than max_string_length 10 at $.a.b",
    );
    expect(checkItem({ a: [{ b: [[[[1]]]] }], c: long }, limits).error).toBe(
      "nesting deeper than max_depth 6 at $.a[0].b[0][0][0]",
    );
    expect(checkItem({ a: 1, [`k${long}`]: { b: long } }, limits).error).toBe(
      "key longer than max_string_length 10 at $",
    );
  });

  it("walks as deep as max_depth allows and stops there, however deep the item", () => {
    const nest = (levels: number) =>
      JSON.parse(`${'{"a":'.repeat(levels - 1)}{}${"}".repeat(levels - 1)}`);
    expect(checkItem(nest(1000), { maxDepth: 1000, maxStringLength: 10 })).toEqual({
      stripped: 0,
    });
    const error = checkItem(nest(200_000), { maxDepth: 1000, maxStringLength: 10 }).error;
    expect(error).toBe(`nesting deeper than max_depth 1000 at $${".a".repeat(1000)}`);
  });

  it("accepts a valid item and strips unsafe keys at any depth", () => {
    const item = JSON.parse('{"a":{"__proto__":{"x":1},"ok":[{"constructor":1}]}}');
    expect(checkItem(item, limits)).toEqual({ stripped: 2 });
    expect(item).toEqual({ a: { ok: [{}] } });
    // Keys of the same lengths as the unsafe ones are kept.
    const similar = JSON.parse('{"__proto_x":1,"constructer":2,"prototypE":3,"__proto__":4}');
    expect(checkItem(similar, { maxDepth: 6, maxStringLength: 20 })).toEqual({ stripped: 1 });
    expect(Object.keys(similar)).toEqual(["__proto_x", "constructer", "prototypE"]);
  });
});

describe("JSON array bodies", () => {
  it("gives each accepted and rejected element the line it starts on", () => {
    const body = '[\n  {"a": 1},\n\n  {"b": "too long a string"},\n  {"c": 3}\n]';
    const result = decodeBody(body, false, limits);
    if (!result.ok) throw new Error(result.error);
    expect(result.accepted.map(({ index, line }) => ({ index, line }))).toEqual([
      { index: 0, line: 2 },
      { index: 2, line: 5 },
    ]);
    expect(result.rejected).toEqual([
      {
        index: 1,
        line: 4,
        error: "string of 17 characters is longer than max_string_length 10 at $.b",
        raw: '{"b": "too long a string"}',
      },
    ]);
  });
});
