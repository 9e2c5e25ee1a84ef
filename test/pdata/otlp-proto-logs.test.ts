// The hand-written logs codec (otlp-proto-logs-*.ts) against protobufjs' reflective codec over
// the same schema, which is what it replaced: same bytes out, same batch in, same errors.
import fc from "fast-check";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { PermanentError } from "../../src/component/errors.js";
import type { LogBatch, LogRecord } from "../../src/pdata/logs.js";
import { groupByResourceAndScope } from "../../src/pdata/otlp-json.js";
import { decodeLogsProto, encodeLogsProto } from "../../src/pdata/otlp-proto.js";
import {
  decodeAnyValue,
  decodeAttributes,
  decodeResource,
  decodeScope,
  encodeAnyValue,
  encodeAttributes,
  encodeResource,
  encodeScope,
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

const LogsRequest = messageType("opentelemetry.proto.logs.v1.ExportLogsServiceRequest");
const AnyValueType = messageType("opentelemetry.proto.common.v1.AnyValue");

/** The reflective encoder the hand-written one replaced. */
function referenceEncode(batch: LogBatch): Uint8Array {
  const record = (r: LogRecord) => ({
    timeUnixNano: toLong(r.time),
    observedTimeUnixNano: toLong(r.observedTime),
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    body: encodeAnyValue(r.body),
    attributes: encodeAttributes(r.attributes),
    ...(r.eventName ? { eventName: r.eventName } : {}),
    ...(r.droppedAttributesCount ? { droppedAttributesCount: r.droppedAttributesCount } : {}),
    ...(r.flags ? { flags: r.flags } : {}),
    ...(r.traceId ? { traceId: Buffer.from(r.traceId, "hex") } : {}),
    ...(r.spanId ? { spanId: Buffer.from(r.spanId, "hex") } : {}),
  });
  return LogsRequest.encode({
    resourceLogs: groupByResourceAndScope(batch).map(({ resource, scopes }) => ({
      resource: encodeResource(resource),
      schemaUrl: resource.schemaUrl ?? "",
      scopeLogs: scopes.map(({ scope, items }) => ({
        scope: encodeScope(scope),
        logRecords: items.map(record),
      })),
    })),
  }).finish();
}

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
