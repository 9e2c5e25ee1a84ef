// The hand-written logs codec (otlp-proto-logs-*.ts) against protobufjs' reflective codec over
// the same schema, which is what it replaced: same bytes out, same batch in, same errors.
import fc from "fast-check";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { PermanentError } from "../../src/component/errors.js";
import type { LogBatch, LogRecord } from "../../src/pdata/logs.js";
import { decodeLogsProto, encodeLogsProto } from "../../src/pdata/otlp-proto.js";
import {
  decodeAnyValue,
  decodeAttributes,
  decodeResource,
  decodeScope,
  encodeAnyValue,
  int64Value,
  type LongLike,
  messageType,
  type PbAnyValue,
  type PbKeyValue,
  safeIntegerToLong,
  toLong,
  uint64,
} from "../../src/pdata/otlp-proto-common.js";
import type { Resource, Scope } from "../../src/pdata/resource.js";
import type { AnyValue, Attributes } from "../../src/pdata/value.js";
import { LogsRequest, referenceEncode } from "../helpers/otlp-reference.js";

const AnyValueType = messageType("opentelemetry.proto.common.v1.AnyValue");

interface PbRecord {
  timeUnixNano?: LongLike;
  observedTimeUnixNano?: LongLike;
  severityNumber?: number;
  severityText?: string;
  eventName?: string;
  body?: PbAnyValue | null;
  attributes?: PbKeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
  traceId?: Uint8Array;
  spanId?: Uint8Array;
}

/** The reflective decoder the hand-written one replaced (value checks left out). */
function referenceDecode(buf: Uint8Array): LogBatch {
  const request = LogsRequest.decode(buf) as unknown as {
    resourceLogs?: {
      resource?: never;
      schemaUrl?: string;
      scopeLogs?: { scope?: never; logRecords?: PbRecord[] }[];
    }[];
  };
  const hex = (b?: Uint8Array) => (b?.length ? Buffer.from(b).toString("hex") : undefined);
  const batch: LogBatch = [];
  for (const rl of request.resourceLogs ?? []) {
    const resource = decodeResource(rl.resource, rl.schemaUrl);
    for (const sl of rl.scopeLogs ?? []) {
      const scope = decodeScope(sl.scope);
      for (const lr of sl.logRecords ?? []) {
        const record: LogRecord = {
          time: uint64(lr.timeUnixNano),
          observedTime: uint64(lr.observedTimeUnixNano),
          severityNumber: lr.severityNumber ?? 0,
          severityText: lr.severityText ?? "",
          body: decodeAnyValue(lr.body),
          attributes: decodeAttributes(lr.attributes),
          resource,
          scope,
        };
        if (lr.eventName) record.eventName = lr.eventName;
        if (hex(lr.traceId)) record.traceId = hex(lr.traceId);
        if (hex(lr.spanId)) record.spanId = hex(lr.spanId);
        if (lr.flags) record.flags = lr.flags;
        if (lr.droppedAttributesCount) record.droppedAttributesCount = lr.droppedAttributesCount;
        batch.push(record);
      }
    }
  }
  return batch;
}

const anyValue = fc.letrec<{ value: AnyValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.string(),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    fc.double(),
    fc.uint8Array({ maxLength: 8 }),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie("value"), { maxKeys: 3 }),
  ),
})).value;

const attributes = fc.dictionary(fc.string({ maxLength: 8 }), anyValue, { maxKeys: 4 });
const time = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

const batches = fc
  .tuple(
    fc.array(
      fc.record({ attributes, dropped: fc.nat(3), schemaUrl: fc.string({ maxLength: 4 }) }),
      {
        minLength: 1,
        maxLength: 2,
      },
    ),
    fc.array(
      fc.record({
        name: fc.string({ maxLength: 6 }),
        version: fc.string({ maxLength: 3 }),
        attributes: fc.option(attributes, { nil: undefined }),
      }),
      { minLength: 1, maxLength: 2 },
    ),
    fc.array(
      fc.record({
        r: fc.nat(1),
        s: fc.nat(1),
        time,
        observedTime: time,
        severityNumber: fc.integer({ min: 0, max: 24 }),
        severityText: fc.string({ maxLength: 6 }),
        eventName: fc.string({ maxLength: 6 }),
        body: anyValue,
        attributes,
        traceId: fc.option(fc.uint8Array({ minLength: 16, maxLength: 16 }), { nil: undefined }),
        spanId: fc.option(fc.uint8Array({ minLength: 8, maxLength: 8 }), { nil: undefined }),
        flags: fc.nat(255),
        dropped: fc.nat(2),
      }),
      { maxLength: 6 },
    ),
  )
  .map(([resourceSpecs, scopeSpecs, recordSpecs]) => {
    const resources: Resource[] = resourceSpecs.map((r) => ({
      attributes: r.attributes,
      ...(r.dropped ? { droppedAttributesCount: r.dropped } : {}),
      ...(r.schemaUrl ? { schemaUrl: r.schemaUrl } : {}),
    }));
    const scopes: Scope[] = scopeSpecs.map((s) => ({
      name: s.name,
      ...(s.version ? { version: s.version } : {}),
      ...(s.attributes ? { attributes: s.attributes } : {}),
    }));
    return recordSpecs.map((spec): LogRecord => {
      const record: LogRecord = {
        time: spec.time,
        observedTime: spec.observedTime,
        severityNumber: spec.severityNumber,
        severityText: spec.severityText,
        body: spec.body,
        attributes: spec.attributes,
        resource: resources[spec.r % resources.length]!,
        scope: scopes[spec.s % scopes.length]!,
      };
      if (spec.eventName) record.eventName = spec.eventName;
      const trace = spec.traceId && Buffer.from(spec.traceId).toString("hex");
      if (trace && !/^0+$/.test(trace)) record.traceId = trace;
      const span = spec.spanId && Buffer.from(spec.spanId).toString("hex");
      if (span && !/^0+$/.test(span)) record.spanId = span;
      if (spec.flags) record.flags = spec.flags;
      if (spec.dropped) record.droppedAttributesCount = spec.dropped;
      return record;
    });
  });

/** Wire-format helpers for hand-made messages the encoders would never write. */
const varint = (n: number) => {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
};
const field = (number: number, bytes: number[]) => [
  ...varint((number << 3) | 2),
  ...varint(bytes.length),
  ...bytes,
];
const text = (s: string) => [...Buffer.from(s)];
const keyValue = (key: string, value: number[]) => field(1, text(key)).concat(field(2, value));

function logRecordOf(body: AnyValue): LogRecord {
  return {
    time: 0n,
    observedTime: 0n,
    severityNumber: 0,
    severityText: "",
    body,
    attributes: {} as Attributes,
    resource: { attributes: {} },
    scope: { name: "" },
  };
}

describe("hand-written OTLP logs codec", () => {
  it("writes the bytes protobufjs' reflective encoder wrote (property-based)", () => {
    fc.assert(
      fc.property(batches, (batch) => {
        expect(Buffer.from(encodeLogsProto(batch))).toEqual(Buffer.from(referenceEncode(batch)));
      }),
      { numRuns: 300 },
    );
  });

  it("reads what protobufjs' reflective decoder read (property-based)", () => {
    fc.assert(
      fc.property(batches, (batch) => {
        const bytes = referenceEncode(batch);
        const decoded = decodeLogsProto(bytes);
        expect(decoded).toEqual(referenceDecode(bytes));
        // Records of one ResourceLogs / ScopeLogs still share one object.
        for (let i = 1; i < decoded.length; i++) {
          const [a, b] = [decoded[i - 1]!, decoded[i]!];
          if (a.resource !== b.resource) {
            expect(a.resource.attributes).not.toBe(b.resource.attributes);
          }
        }
        expect(new Set(decoded.map((r) => r.resource)).size).toBe(
          new Set(batch.map((r) => r.resource)).size,
        );
      }),
      { numRuns: 300 },
    );
  });

  it("merges repeated message fields, skips unknown or mistyped fields, lets the last oneof member win", () => {
    const resource = [
      ...field(1, keyValue("a", field(1, text("x")))),
      ...field(1, keyValue("b", field(1, text("y")))),
    ];
    const value = [
      ...field(1, text("first")),
      ...[0x10, 0x01], // boolValue true replaces stringValue
      ...field(5, field(1, field(1, text("one")))), // arrayValue replaces bool
      ...field(5, field(1, field(1, text("two")))), // a second arrayValue appends
    ];
    const record = [
      ...[0x10, 0x05], // severityNumber 5
      ...field(3, text("warn")),
      ...field(6, keyValue("v", value)),
      ...field(6, keyValue("v2", field(1, text("s")))),
      ...[0x18, 0x01], // severityText as a varint: the wrong wire type, skipped
      ...field(99, [1, 2, 3]), // an unknown field
    ];
    const scopeLogs = [...field(2, record)];
    const request = field(1, [...field(1, resource), ...field(2, scopeLogs)]);
    const bytes = new Uint8Array(request);
    const decoded = decodeLogsProto(bytes);
    expect(decoded).toEqual(referenceDecode(bytes));
    expect(decoded[0]!.attributes).toEqual({ v: ["one", "two"], v2: "s" });
    expect(decoded[0]!.resource.attributes).toEqual({ a: "x", b: "y" });
    expect(decoded[0]!.severityText).toBe("warn");
  });

  it("keeps integers exact on either side of 2^53", () => {
    const values: AnyValue[] = [
      0,
      -1,
      2 ** 53 - 1,
      -(2 ** 53 - 1),
      2n ** 53n,
      -(2n ** 53n),
      2n ** 63n - 1n,
      -(2n ** 63n),
    ];
    for (const v of values) {
      const pb = AnyValueType.decode(
        AnyValueType.encode(encodeAnyValue(v)).finish(),
      ) as unknown as {
        intValue: LongLike;
      };
      expect(int64Value(pb.intValue)).toEqual(v);
    }
    for (const n of [0, 1, -1, 2 ** 32, -(2 ** 32) - 5, 2 ** 53 - 1, -(2 ** 53 - 1)]) {
      expect(safeIntegerToLong(n)).toEqual(toLong(BigInt(n)));
    }
    for (const n of [0n, 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n]) {
      expect(uint64(toLong(n))).toBe(n);
    }
  });

  it("fails like protobufjs on malformed bytes: truncation, field 0, nesting past the limit", () => {
    const truncated = encodeLogsProto([
      {
        time: 1n,
        observedTime: 2n,
        severityNumber: 9,
        severityText: "info",
        body: "hello",
        attributes: { a: 1 },
        resource: { attributes: {} },
        scope: { name: "s" },
      },
    ]).slice(0, -3);
    expect(() => decodeLogsProto(truncated)).toThrow(PermanentError);
    expect(() => LogsRequest.decode(truncated)).toThrow();

    expect(() => decodeLogsProto(new Uint8Array([0x02, 0x00]))).toThrow(
      "invalid ExportLogsServiceRequest protobuf: illegal tag: field number 0",
    );

    // Arrays nested past protobufjs' recursion limit, made by hand: no encoder writes them.
    let value = field(1, text("leaf"));
    for (let i = 0; i < protobuf.util.recursionLimit / 2; i++) value = field(5, field(1, value));
    const deep = new Uint8Array(field(1, field(2, field(2, field(5, value)))));
    expect(() => decodeLogsProto(deep)).toThrow(/max depth exceeded/);
    expect(() => LogsRequest.decode(deep)).toThrow(/max depth exceeded/);

    let nested: AnyValue = "leaf";
    for (let i = 0; i < protobuf.util.recursionLimit / 2; i++) nested = [nested];
    const record = logRecordOf(nested);
    expect(() => encodeLogsProto([record])).toThrow(/max depth exceeded/);
    expect(() => referenceEncode([record])).toThrow(/max depth exceeded/);
    // Just inside the limit, both encoders write it.
    const shallower = logRecordOf((nested as AnyValue[])[0]![0]!);
    expect(Buffer.from(encodeLogsProto([shallower]))).toEqual(
      Buffer.from(referenceEncode([shallower])),
    );
  });
});

/** A field of any wire type, its payload already encoded. */
const tagged = (number: number, wire: number, payload: number[]) => [
  ...varint(number * 8 + wire),
  ...payload,
];
/** A varint padded to `bytes` bytes: valid protobuf, though no encoder writes it so. */
const padded = (n: number, bytes: number) => {
  const out = varint(n);
  while (out.length < bytes) {
    out[out.length - 1]! |= 0x80;
    out.push(0);
  }
  return out;
};
/** A string field whose bytes are given as they are, valid UTF-8 or not. */
const rawString = (number: number, bytes: number[]) => field(number, bytes);
/** A request with one record, from the record's encoded fields. */
const requestOf = (record: number[]) => new Uint8Array(field(1, field(2, field(2, record))));
/** The message decodeLogsProto throws for what protobufjs' reflective decoder throws. */
function referenceError(bytes: Uint8Array): string {
  try {
    LogsRequest.decode(bytes);
  } catch (error) {
    return `invalid ExportLogsServiceRequest protobuf: ${(error as Error).message}`;
  }
  throw Error("the reference decoder accepted the bytes");
}

const unicodeAttributes = fc.dictionary(
  fc.oneof(fc.string({ unit: "binary", maxLength: 12 }), fc.string({ maxLength: 80 })),
  fc.oneof(
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.string({ unit: "binary-ascii", minLength: 60, maxLength: 200 }),
    fc.string({ maxLength: 3 }),
  ),
  { maxKeys: 8 },
);

describe("OTLP logs decoder: fast paths and what they hand to protobufjs", () => {
  it("reads ASCII, non-ASCII, short and long strings as the reflective decoder does (property-based)", () => {
    fc.assert(
      fc.property(fc.array(unicodeAttributes, { minLength: 1, maxLength: 4 }), (list) => {
        const batch = list.map((attributes, i) => ({
          ...logRecordOf(Object.values(attributes)[0] ?? null),
          attributes,
          resource: { attributes: { "service.name": `svc-${i}` } },
        }));
        const bytes = referenceEncode(batch);
        // Twice: the second read meets the strings the first one cached.
        expect(decodeLogsProto(bytes)).toEqual(referenceDecode(bytes));
        expect(decodeLogsProto(Buffer.from(bytes))).toEqual(referenceDecode(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it("keeps every string right when many share cache slots", () => {
    // 5,000 distinct keys and values over two reads: far more strings than cache slots.
    const attributes: Attributes = {};
    for (let i = 0; i < 5000; i++) attributes[`key.${i.toString(36)}`] = `value-${i * 7919}`;
    const record = { ...logRecordOf("body"), attributes };
    const bytes = encodeLogsProto([record, record]);
    for (let round = 0; round < 2; round++) {
      const [first, second] = decodeLogsProto(bytes);
      expect(first!.attributes).toEqual(attributes);
      expect(second!.attributes).toEqual(attributes);
    }
  });

  it("reads a string longer than a two-byte length, and empty and one- to three-character ones", () => {
    const long = "x".repeat(20_000) + "é".repeat(5_000);
    const record = {
      ...logRecordOf(long),
      attributes: { "": "", a: "b", ab: "cd", abc: "def", é: "ü", "€": "€", long },
    };
    const bytes = encodeLogsProto([record]);
    const [decoded] = decodeLogsProto(bytes);
    expect(decoded!.body).toBe(long);
    expect(decoded!.attributes).toEqual(record.attributes);
    expect(decodeLogsProto(bytes)).toEqual(referenceDecode(bytes));
  });

  it("refuses invalid UTF-8 anywhere, with protobufjs' message, and accepts what it accepts", () => {
    const invalid = [
      [0xff], // never valid
      [0x80], // a lone continuation byte
      [0xc0, 0x80], // an overlong NUL
      [0xed, 0xa0, 0x80], // a UTF-16 surrogate
      [0xe2, 0x82], // cut short
      [...text("abcdefgh"), 0xc3], // ASCII, then a lead byte with nothing after it
      [...text("x".repeat(100)), 0xfe], // long: past protobufjs' TextDecoder threshold
      [...text("ok"), 0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
    ];
    for (const bytes of invalid) {
      const places = [
        requestOf(field(6, keyValue("k", rawString(1, bytes)))), // a string value
        requestOf(field(6, field(1, bytes).concat(field(2, field(1, text("v")))))), // a key
        requestOf(rawString(3, bytes)), // severityText
        requestOf(rawString(12, bytes)), // eventName
        new Uint8Array(field(1, field(2, field(1, rawString(1, bytes))))), // scope name
      ];
      for (const request of places) {
        expect(() => decodeLogsProto(request)).toThrow(PermanentError);
        expect(() => decodeLogsProto(request)).toThrow(referenceError(request));
      }
    }
    // Valid: a leading BOM (kept as a character), 4-byte characters, U+FFFF, NUL.
    for (const s of ["\uFEFFbom", "🛡️ shield", "\uFFFF", "a\u0000b"]) {
      const request = requestOf(field(6, keyValue(s, field(1, text(s)))));
      expect(decodeLogsProto(request)).toEqual(referenceDecode(request));
      expect(decodeLogsProto(request)[0]!.attributes[s]).toBe(s);
    }
  });

  it("reads multi-byte and padded varints, and integers on every length boundary", () => {
    const record = [
      ...tagged(2, 0, padded(9, 5)), // severityNumber 9 in five bytes
      ...tagged(7, 0, padded(3, 3)), // droppedAttributesCount 3 in three bytes
      ...[0x1a, ...padded(4, 2), ...text("warn")], // severityText with a padded length
      ...field(6, keyValue("k", tagged(3, 0, padded(1, 10)))), // intValue 1 in ten bytes
    ];
    const bytes = requestOf(record);
    expect(decodeLogsProto(bytes)).toEqual(referenceDecode(bytes));
    expect(decodeLogsProto(bytes)[0]).toMatchObject({
      severityNumber: 9,
      severityText: "warn",
      droppedAttributesCount: 3,
      attributes: { k: 1 },
    });

    const ints: AnyValue[] = [];
    for (const bits of [7, 14, 21, 28, 32, 35, 42, 49, 53]) {
      ints.push(2 ** bits - 1, 2 ** bits, -(2 ** bits));
    }
    ints.push(2n ** 56n, 2n ** 63n - 1n, -(2n ** 63n));
    const body = [...ints, 0.5, -1.5, Number.MAX_VALUE, true, false, new Uint8Array([0, 255])];
    const intBytes = encodeLogsProto([logRecordOf(body)]);
    expect(decodeLogsProto(intBytes)).toEqual(referenceDecode(intBytes));
    expect(decodeLogsProto(intBytes)[0]!.body).toEqual(body);
  });

  it("skips unknown fields of every wire type at every level", () => {
    const unknown = [
      ...tagged(90, 0, [0x05]), // varint, one byte
      ...tagged(91, 0, padded(1, 10)), // varint, ten bytes
      ...tagged(92, 1, [1, 2, 3, 4, 5, 6, 7, 8]), // fixed64
      ...field(93, [1, 2, 3]), // length-delimited
      ...tagged(94, 3, [
        ...tagged(1, 0, [1]),
        ...tagged(2, 3, tagged(2, 4, [])),
        ...tagged(94, 4, []),
      ]), // a group, nested
      ...tagged(95, 5, [1, 2, 3, 4]), // fixed32
      ...tagged(2_000_000, 0, [0x01]), // a field number needing a four-byte tag
    ];
    const value = [...field(1, text("v")), ...unknown];
    const kv = [...field(1, text("k")), ...unknown, ...field(2, value)];
    const list = [...unknown, ...field(1, kv)];
    const anyWithList = [...field(6, list), ...unknown];
    const anyWithArray = [...field(5, [...unknown, ...field(1, value)])];
    const record = [
      ...unknown,
      ...field(6, kv),
      ...field(6, keyValue("list", anyWithList)),
      ...field(6, keyValue("array", anyWithArray)),
      ...unknown,
    ];
    const scope = [...field(1, text("scope")), ...unknown];
    const resource = [...field(1, kv), ...unknown];
    const scopeLogs = [...unknown, ...field(1, scope), ...field(2, record), ...unknown];
    const resourceLogs = [...field(1, resource), ...unknown, ...field(2, scopeLogs)];
    const bytes = new Uint8Array([...unknown, ...field(1, resourceLogs), ...unknown]);
    const decoded = decodeLogsProto(bytes);
    expect(decoded).toEqual(referenceDecode(bytes));
    expect(decoded[0]!.attributes).toEqual({ k: "v", list: { k: "v" }, array: ["v"] });
    expect(decoded[0]!.scope.name).toBe("scope");
    expect(decoded[0]!.resource.attributes).toEqual({ k: "v" });
  });

  it("refuses what protobufjs refuses when skipping: field 0, stray or unknown wire types, bad groups", () => {
    const cases = [
      tagged(0, 0, [1]), // field number 0
      tagged(9, 4, []), // an end-group tag with no group open
      tagged(9, 6, [1]), // wire type 6
      tagged(9, 7, [1]), // wire type 7
      tagged(9, 3, tagged(8, 4, [])), // a group closed with another field's number
    ];
    for (const bad of cases) {
      for (const bytes of [new Uint8Array(bad), requestOf(bad)]) {
        expect(() => decodeLogsProto(bytes)).toThrow(PermanentError);
      }
      // At the top level both decoders read the same tag at the same offset.
      const top = new Uint8Array(bad);
      expect(() => decodeLogsProto(top)).toThrow(referenceError(top));
    }
  });

  it("refuses every truncation of a valid request, and reads the whole one", () => {
    const record = {
      ...logRecordOf({ list: [1, "two", 3.5, true, new Uint8Array([1])], n: -(2 ** 40) }),
      time: 2n ** 63n,
      observedTime: 1n,
      severityNumber: 17,
      severityText: "high",
      eventName: "security.detection",
      flags: 1,
      droppedAttributesCount: 2,
      traceId: "0102030405060708090a0b0c0d0e0f10",
      spanId: "0102030405060708",
      attributes: { "detection.id": "x".repeat(150), é: "ü" },
      resource: { attributes: { "service.name": "svc" }, schemaUrl: "https://s" },
      scope: { name: "scope", version: "1" },
    };
    const bytes = encodeLogsProto([record]);
    expect(decodeLogsProto(bytes)).toEqual([record]);
    // Every cut that ends inside a message: no prefix of one record is a complete request.
    for (let n = 1; n < bytes.length; n++) {
      const cut = bytes.subarray(0, n);
      expect(() => decodeLogsProto(cut)).toThrow(PermanentError);
      expect(() => LogsRequest.decode(cut)).toThrow();
    }
  });

  it("keeps __proto__ and prototype keys as plain data", () => {
    const request = requestOf([
      ...field(6, keyValue("__proto__", field(1, text("x")))),
      ...field(6, keyValue("prototype", field(1, text("y")))),
      ...field(6, keyValue("constructor", field(1, text("z")))),
      ...field(
        6,
        keyValue(
          "map",
          field(6, [...field(1, keyValue("__proto__", field(2, [0x01])))]).concat(
            field(6, field(1, keyValue("__proto__", field(1, text("merged"))))),
          ),
        ),
      ),
    ]);
    const { attributes } = decodeLogsProto(request)[0]!;
    expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype);
    expect(Object.keys(attributes)).toEqual(["__proto__", "prototype", "constructor", "map"]);
    expect(Object.getOwnPropertyDescriptor(attributes, "__proto__")?.value).toBe("x");
    expect(attributes.prototype).toBe("y");
    expect(attributes.constructor).toBe("z");
    const map = attributes.map as Attributes;
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(map, "__proto__")?.value).toBe("merged");
  });
});

describe("OTLP logs decoder: fields that run past their message", () => {
  /** A record whose last field is cut short, inside messages that are themselves complete. */
  const cutRecord = (fields: number[]) => requestOf([...field(3, text("info")), ...fields]);

  it("fails like protobufjs for a string, bytes, varint, fixed32 and double past the record's end", () => {
    const cases = [
      [0x1a, 5, ...text("warn")], // severityText: 5 bytes announced, 4 there
      [0x1a, 0x85, 0x00, ...text("warn")], // the same with a padded length
      [0x4a, 16, ...new Array(15).fill(1)], // traceId: 16 announced, 15 there
      [0x10, 0x85], // severityNumber: a continuation bit and nothing after it
      [0x45, 1, 2, 3], // flags: three bytes of four
      ...[[0x21, 1, 2, 3, 4, 5, 6, 7]].map((d) => field(6, keyValue("d", d))), // double in an AnyValue
    ];
    for (const bad of cases) {
      const bytes = cutRecord(bad);
      expect(() => decodeLogsProto(bytes)).toThrow(referenceError(bytes));
    }
  });

  it("fails like protobufjs for a varint with nothing after its tag, before more records", () => {
    // The byte after the record belongs to the next one: reading must not take it.
    for (const tag of [0x68, 0x10, 0x38]) {
      // An unknown field 13, severityNumber, droppedAttributesCount.
      const scopeLogs = [...field(2, [...field(3, text("info")), tag]), ...field(2, [0x10, 1])];
      const bytes = new Uint8Array(field(1, field(2, scopeLogs)));
      expect(() => decodeLogsProto(bytes)).toThrow(referenceError(bytes));
    }
  });

  it("reads any non-zero bool varint as true, as protobufjs does", () => {
    for (const encoded of [[0x02], [0x80, 0x01], [0x80, 0x00]]) {
      const request = requestOf(field(6, keyValue("b", tagged(2, 0, encoded))));
      expect(decodeLogsProto(request)).toEqual(referenceDecode(request));
      expect(decodeLogsProto(request)[0]!.attributes.b).toBe(encoded.some((b) => b & 0x7f));
    }
  });

  it("reports a cut time at the half that is missing, as the Reader-based decoder did", () => {
    // Six of eight bytes: the low half reads, the high half is out of range.
    const bytes = cutRecord([0x09, 1, 2, 3, 4, 5, 6]);
    expect(() => decodeLogsProto(bytes)).toThrow(/index out of range: \d+ \+ 4 > \d+$/);
    const two = cutRecord([0x09, 1, 2]);
    expect(() => decodeLogsProto(two)).toThrow(/index out of range: \d+ \+ 4 > \d+$/);
  });

  it("reads two-byte lengths and tags exactly", () => {
    const value = "v".repeat(200); // a two-byte length
    const request = requestOf([
      ...field(6, keyValue("k".repeat(130), field(1, text(value)))),
      ...tagged(300, 0, [0x01]), // an unknown field with a two-byte tag
      ...tagged(2, 0, [0x90, 0x01]), // severityNumber 144 in two bytes: out of range
    ]);
    expect(() => decodeLogsProto(request)).toThrow(
      "resourceLogs[0].scopeLogs[0].logRecords[0].severityNumber: expected 0-24, got 144",
    );
    const ok = requestOf([
      ...field(6, keyValue("k".repeat(130), field(1, text(value)))),
      ...tagged(300, 0, [0x01]),
      ...tagged(2, 0, [0x91, 0x00]), // severityNumber 17, padded to two bytes
    ]);
    expect(decodeLogsProto(ok)).toEqual(referenceDecode(ok));
    expect(decodeLogsProto(ok)[0]!.attributes["k".repeat(130)]).toBe(value);
    expect(decodeLogsProto(ok)[0]!.severityNumber).toBe(17);
  });
});
