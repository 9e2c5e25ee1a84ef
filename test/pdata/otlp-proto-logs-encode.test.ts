// The hand-written logs encoder (otlp-proto-logs-encode.ts) against protobufjs' reflective
// encoder over the same schema, on the inputs where a hand-written writer goes wrong: UTF-8
// lengths, length prefixes of several bytes, scratch-buffer growth, 64-bit integers, doubles,
// defaults and the nesting limit.
import fc from "fast-check";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import type { LogBatch, LogRecord } from "../../src/pdata/logs.js";
import { decodeLogsProto, encodeLogsProto } from "../../src/pdata/otlp-proto.js";
import type { Resource, Scope } from "../../src/pdata/resource.js";
import type { AnyValue, Attributes } from "../../src/pdata/value.js";
import { referenceEncode } from "../helpers/otlp-reference.js";

const RESOURCE: Resource = { attributes: { "service.name": "svc" } };
const SCOPE: Scope = { name: "tripline/test" };

function record(overrides: Partial<LogRecord> = {}): LogRecord {
  return {
    time: 1_795_165_200_000_000_000n,
    observedTime: 1_795_165_200_000_000_001n,
    severityNumber: 9,
    severityText: "info",
    body: "body",
    attributes: { "detection.id": "x" },
    resource: RESOURCE,
    scope: SCOPE,
    ...overrides,
  };
}

function expectSameBytes(batch: LogBatch): Uint8Array {
  const ours = encodeLogsProto(batch);
  expect(Buffer.from(ours)).toEqual(Buffer.from(referenceEncode(batch)));
  return ours;
}

/** Every place a string goes, filled with `text`. */
function everywhere(text: string): LogBatch {
  const resource: Resource = { attributes: { [text]: text }, schemaUrl: text };
  const scope: Scope = { name: text, version: text, attributes: { [text]: [text] } };
  return [
    record({
      severityText: text,
      eventName: text,
      body: { [text]: text, k: [text, { [text]: text }] },
      attributes: { [text]: text, [`${text}2`]: text },
      resource,
      scope,
    }),
  ];
}

/** A string of `length` code units cycling through `units`. */
const repeat = (units: string, length: number) =>
  units.repeat(Math.ceil(length / units.length)).slice(0, length);

describe("hand-written OTLP logs encoder, edge cases", () => {
  it("writes non-ASCII strings of every length like protobufjs", () => {
    // 2-byte, 3-byte and 4-byte (surrogate pair) UTF-8, alone and mixed with ASCII, across the
    // short-string loop's threshold and the one-byte length limit.
    const samples = ["é", "ü-x", "日本語", "😀", "a😀b", "ü日😀a"];
    for (const units of samples) {
      for (const length of [1, 2, 15, 16, 31, 32, 33, 39, 40, 41, 63, 64, 127, 128, 129, 300]) {
        // Whole surrogate pairs only: a cut pair is a lone surrogate, tested below.
        let text = repeat(units, length);
        if (/[\ud800-\udbff]$/.test(text)) text = text.slice(0, -1);
        expectSameBytes(everywhere(text));
      }
    }
  });

  it("writes any well-formed Unicode like protobufjs (property-based)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => {
        expectSameBytes(everywhere(text));
      }),
      { numRuns: 300 },
    );
  });

  it("writes a lone surrogate as U+FFFD, at any length", () => {
    for (const lone of ["\ud800", "\udc00", "a\ud83dz", "\ude00\ud83d"]) {
      for (const pad of [0, 10, 38, 39, 40, 100]) {
        const text = `${"x".repeat(pad)}${lone}`;
        const wellFormed = Buffer.from(text, "utf8").toString("utf8");
        expect(wellFormed).toContain("\ufffd");
        const ours = encodeLogsProto(everywhere(text));
        expect(Buffer.from(ours)).toEqual(Buffer.from(referenceEncode(everywhere(wellFormed))));
        expect(decodeLogsProto(ours)[0]!.severityText).toBe(wellFormed);
      }
    }
  });

  it("writes messages past 64 KiB, with length prefixes of two and three bytes", () => {
    // One string longer than 16 KiB (three-byte length) inside a kvlist inside an array, so
    // every enclosing message's length grows past one and two bytes.
    for (const length of [127, 128, 16_383, 16_384, 70_000]) {
      const big = repeat("abcdefgh", length);
      const nonAscii = repeat("é😀x", length);
      expectSameBytes([record({ body: [{ big }], attributes: { big, nonAscii } })]);
    }
    // Many records: the output grows well past the scratch buffer's first size.
    const many: LogBatch = [];
    for (let i = 0; i < 1_000; i++) {
      many.push(
        record({
          attributes: { "detection.id": `id-${i}`, n: i, text: repeat("wxyz", i % 300) },
          resource: i % 3 === 0 ? RESOURCE : { attributes: { pod: `pod-${i % 7}` } },
        }),
      );
    }
    const bytes = expectSameBytes(many);
    expect(bytes.length).toBeGreaterThan(1 << 17);
    // And a small batch after the big one still comes out right.
    expectSameBytes([record()]);
  });

  it("writes integers, bigints and doubles like protobufjs", () => {
    const values: AnyValue[] = [
      0,
      -0,
      1,
      -1,
      127,
      128,
      2 ** 31 - 1,
      2 ** 31,
      -(2 ** 31),
      2 ** 32 - 1,
      2 ** 32,
      -(2 ** 32),
      -(2 ** 32) - 5,
      2 ** 35 + 3,
      2 ** 53 - 1,
      -(2 ** 53 - 1),
      0n,
      -1n,
      2n ** 53n,
      -(2n ** 53n),
      2n ** 63n - 1n,
      -(2n ** 63n),
      2n ** 64n - 1n, // wraps to -1, as the Long halves did
      2n ** 70n + 5n,
      0.5,
      -2.25,
      2 ** 53,
      -(2 ** 53),
      1e21,
      Number.MIN_VALUE,
      Number.MAX_VALUE,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      true,
      false,
      null,
      new Uint8Array(0),
      new Uint8Array([0, 255, 128]),
      new Uint8Array(300).fill(7),
    ];
    for (const value of values) {
      expectSameBytes([record({ body: value, attributes: { v: value, list: [value] } })]);
    }
    expectSameBytes([record({ attributes: Object.fromEntries(values.map((v, i) => [i, v])) })]);
  });

  it("writes record scalars at and past their ranges like protobufjs", () => {
    const cases: Partial<LogRecord>[] = [
      { time: 0n, observedTime: 0n },
      { time: 2n ** 64n - 1n, observedTime: 1n },
      { time: -1n }, // wraps to 2^64 - 1, as the Long halves did
      { severityNumber: 0 },
      { severityNumber: 24 },
      { severityNumber: 200 },
      { severityNumber: -1 },
      { severityNumber: -(2 ** 31) },
      { flags: 1 },
      { flags: 0xffffffff },
      { droppedAttributesCount: 1 },
      { droppedAttributesCount: 2 ** 31 },
      { traceId: "0102030405060708090a0b0c0d0e0f10", spanId: "A1B2C3D4E5F60718" },
      { traceId: "abc" }, // odd length: the whole pairs only
      { traceId: "zz00", spanId: "00zz" }, // not hex: up to the first bad pair
      { traceId: "0g" },
      { traceId: "ab".repeat(200) }, // a two-byte length
    ];
    for (const overrides of cases) expectSameBytes([record(overrides)]);
    expectSameBytes([
      record({ resource: { attributes: {}, droppedAttributesCount: 5, schemaUrl: "https://s" } }),
    ]);
  });

  it("leaves out empty names and keys, and writes empty string values", () => {
    const scope: Scope = { name: "", version: "", attributes: { "": "" } };
    const resource: Resource = { attributes: { "": "", e: "" }, schemaUrl: "" };
    const bytes = expectSameBytes([
      record({
        severityText: "",
        eventName: "",
        body: "",
        attributes: { "": "", empty: "", list: [""], map: { "": "" } },
        resource,
        scope,
      }),
    ]);
    const [decoded] = decodeLogsProto(bytes);
    expect(decoded!.attributes).toEqual({ "": "", empty: "", list: [""], map: { "": "" } });
    expectSameBytes([record({ body: null, attributes: {} as Attributes })]);
    expectSameBytes([]);
  });

  it("refuses nesting past protobufjs' limit wherever attributes are, and writes it up to there", () => {
    const limit = protobuf.util.recursionLimit;
    const deepArray = (levels: number): AnyValue => {
      let value: AnyValue = "leaf";
      for (let i = 0; i < levels; i++) value = [value];
      return value;
    };
    const deepMap = (levels: number): AnyValue => {
      let value: AnyValue = "leaf";
      for (let i = 0; i < levels; i++) value = { k: value };
      return value;
    };
    const places = (value: AnyValue): LogBatch[] => [
      [record({ body: value })],
      [record({ attributes: { a: value } })],
      [record({ resource: { attributes: { a: value } } })],
      [record({ scope: { name: "s", attributes: { a: value } } })],
    ];
    for (const deep of [deepArray, deepMap]) {
      for (let levels = limit / 2 - 4; levels <= limit / 2 + 1; levels++) {
        for (const batch of places(deep(levels))) {
          let expected: Uint8Array | Error;
          try {
            expected = referenceEncode(batch);
          } catch (error) {
            expected = error as Error;
          }
          if (expected instanceof Error) {
            expect(expected.message).toMatch(/max depth exceeded/);
            expect(() => encodeLogsProto(batch)).toThrow(expected.message);
          } else {
            expect(Buffer.from(encodeLogsProto(batch))).toEqual(Buffer.from(expected));
          }
        }
      }
    }
    // Both outcomes were reached: the loop crosses the limit in every place.
    for (const batch of places(deepArray(limit / 2 + 1))) {
      expect(() => encodeLogsProto(batch)).toThrow(/max depth exceeded/);
    }
    for (const batch of places(deepArray(limit / 2 - 4))) {
      expect(() => encodeLogsProto(batch)).not.toThrow();
    }
    // A refused batch leaves nothing behind for the next one.
    expectSameBytes([record()]);
  });
});
