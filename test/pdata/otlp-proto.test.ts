import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
} from "@opentelemetry/otlp-transformer";
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  type ReadableLogRecord,
  SimpleLogRecordProcessor,
} from "@opentelemetry/sdk-logs";
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
  type ViewOptions,
} from "@opentelemetry/sdk-metrics";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PermanentError } from "../../src/component/errors.js";
import type { LogBatch } from "../../src/pdata/logs.js";
import type { MetricBatch } from "../../src/pdata/metrics.js";
import { encodeLogsRequest, encodeMetricsRequest } from "../../src/pdata/otlp-json.js";
import { decodeLogsRequest, decodeMetricsRequest } from "../../src/pdata/otlp-json-decode.js";
import {
  decodeLogsProto,
  decodeLogsResponse,
  decodeMetricsProto,
  decodeMetricsResponse,
  decodeStatus,
  encodeLogsProto,
  encodeLogsResponse,
  encodeMetricsProto,
  encodeMetricsResponse,
  encodeStatus,
} from "../../src/pdata/otlp-proto.js";
import { OTLP_PROTO_SCHEMA } from "../../src/pdata/otlp-proto-schema.js";
import { loadProtoDescriptor } from "../../src/pdata/proto/generate.mjs";
import { Rejections } from "../../src/pdata/rejections.js";
import type { Resource, Scope } from "../../src/pdata/resource.js";
import type { AnyValue } from "../../src/pdata/value.js";
import {
  checkSampleLogs,
  EXPONENTIAL_VIEW,
  emitSampleLogs,
  expectedMetrics,
  recordSampleMetrics,
  sdkResource,
  stripRefs,
} from "../helpers/otlp-sdk.js";
import { logRecord } from "../helpers/records.js";

async function sdkLogs(): Promise<ReadableLogRecord[]> {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: sdkResource(),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  emitSampleLogs(provider.getLogger("tripline-test", "1.2.3"), provider.getLogger("other-scope"));
  await provider.forceFlush();
  return exporter.getFinishedLogRecords();
}

class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

async function sdkMetrics(
  temporality = AggregationTemporality.CUMULATIVE,
  views: ViewOptions[] = [],
): Promise<ResourceMetrics> {
  const reader = new CollectingReader({ aggregationTemporalitySelector: () => temporality });
  const provider = new MeterProvider({ resource: sdkResource(), readers: [reader], views });
  recordSampleMetrics(provider);
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  return resourceMetrics;
}

const json = (bytes: Uint8Array | undefined) => JSON.parse(Buffer.from(bytes!).toString("utf8"));

describe("OTLP protobuf schema", () => {
  it("is the descriptor protobufjs builds from src/pdata/proto/*.proto", () => {
    expect(OTLP_PROTO_SCHEMA).toEqual(loadProtoDescriptor());
  });
});

describe("logs codec against @opentelemetry/otlp-transformer", () => {
  it("decodes the official protobuf serializer's output field for field", async () => {
    const bytes = ProtobufLogsSerializer.serializeRequest(await sdkLogs())!;
    checkSampleLogs(decodeLogsProto(bytes));
  });

  it("decodes the official JSON serializer's output to the same batch", async () => {
    const records = await sdkLogs();
    const fromJson = decodeLogsRequest(json(JsonLogsSerializer.serializeRequest(records)));
    checkSampleLogs(fromJson);
    expect(fromJson).toEqual(decodeLogsProto(ProtobufLogsSerializer.serializeRequest(records)!));
  });

  it("re-encodes what it decoded without changing a field or the grouping", async () => {
    const decoded = decodeLogsProto(ProtobufLogsSerializer.serializeRequest(await sdkLogs())!);
    const again = decodeLogsProto(encodeLogsProto(decoded));
    checkSampleLogs(again);
    expect(again).toEqual(decoded);
  });

  it("writes responses the official deserializer reads", () => {
    expect(ProtobufLogsSerializer.deserializeResponse(encodeLogsResponse())).toEqual({});
    const partial = ProtobufLogsSerializer.deserializeResponse(
      encodeLogsResponse({ rejected: 3, errorMessage: "three were odd" }),
    );
    expect(partial.partialSuccess).toEqual({
      rejectedLogRecords: 3,
      errorMessage: "three were odd",
    });
    expect(decodeLogsResponse(encodeLogsResponse({ rejected: 2, errorMessage: "x" }))).toEqual({
      rejected: 2,
      errorMessage: "x",
    });
  });
});

describe("metrics codec against @opentelemetry/otlp-transformer", () => {
  for (const temporality of [AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA]) {
    it(`decodes sums, gauges and histograms (${AggregationTemporality[temporality]})`, async () => {
      const rm = await sdkMetrics(temporality);
      const rejections = new Rejections();
      const batch = decodeMetricsProto(ProtobufMetricsSerializer.serializeRequest(rm)!, rejections);
      expect(rejections.count).toBe(0);
      expect(stripRefs(batch)).toEqual(expectedMetrics(rm));
      expect(batch.map((m) => m.data.type).sort()).toEqual(["gauge", "histogram", "sum", "sum"]);
      for (const metric of batch) {
        expect(metric.resource).toBe(batch[0]!.resource);
        expect(metric.scope).toBe(batch[0]!.scope);
      }
      expect(batch[0]!.resource.attributes).toMatchObject({ "service.name": "support-bot" });
      expect(batch[0]!.scope).toEqual({ name: "tripline-test", version: "1.2.3" });
    });
  }

  it("decodes the official JSON serializer's output to the same batch", async () => {
    const rm = await sdkMetrics();
    const fromJson = decodeMetricsRequest(json(JsonMetricsSerializer.serializeRequest(rm)));
    expect(stripRefs(fromJson)).toEqual(expectedMetrics(rm));
    expect(fromJson).toEqual(decodeMetricsProto(ProtobufMetricsSerializer.serializeRequest(rm)!));
  });

  it("re-encodes what it decoded without changing a field", async () => {
    const decoded = decodeMetricsProto(
      ProtobufMetricsSerializer.serializeRequest(await sdkMetrics())!,
    );
    expect(decodeMetricsProto(encodeMetricsProto(decoded))).toEqual(decoded);
  });

  it("counts exponential histogram points as rejected, in both encodings", async () => {
    const rm = await sdkMetrics(AggregationTemporality.CUMULATIVE, [EXPONENTIAL_VIEW]);
    for (const decode of [
      (r: Rejections) => decodeMetricsProto(ProtobufMetricsSerializer.serializeRequest(rm)!, r),
      (r: Rejections) => decodeMetricsRequest(json(JsonMetricsSerializer.serializeRequest(rm)), r),
    ]) {
      const rejections = new Rejections();
      const batch = decode(rejections);
      expect(rejections.count).toBe(1);
      expect(rejections.message).toBe("exponential_histogram metrics are not supported");
      expect(batch.map((m) => m.name).sort()).toEqual([
        "tripline.detections",
        "tripline.risk",
        "tripline.sessions",
      ]);
    }
  });

  it("writes responses the official deserializer reads", () => {
    const partial = ProtobufMetricsSerializer.deserializeResponse(
      encodeMetricsResponse({ rejected: 7, errorMessage: "summary metrics are not supported" }),
    );
    expect(partial.partialSuccess).toEqual({
      rejectedDataPoints: 7,
      errorMessage: "summary metrics are not supported",
    });
    expect(decodeMetricsResponse(encodeMetricsResponse())).toBeUndefined();
  });
});

const resourceA: Resource = {
  attributes: { "service.name": "a" },
  droppedAttributesCount: 2,
  schemaUrl: "https://opentelemetry.io/schemas/1.26.0",
};
const resourceB: Resource = { attributes: { "service.name": "b" } };
const scopeA: Scope = { name: "scope-a", version: "0.1.0", attributes: { team: "sec" } };
const scopeB: Scope = { name: "scope-b" };

describe("our encoder → our decoder", () => {
  it("keeps values JSON cannot hold exactly: int64 beyond 2^53, NaN, ±Infinity, bytes", () => {
    const attributes: Record<string, AnyValue> = {
      big: 9_223_372_036_854_775_807n,
      small: -9_223_372_036_854_775_808n,
      safe: Number.MAX_SAFE_INTEGER,
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      ninf: Number.NEGATIVE_INFINITY,
      zero: 0,
      bytes: new Uint8Array([0, 255]),
      empty: new Uint8Array(),
      none: null,
    };
    const [decoded] = decodeLogsProto(encodeLogsProto([logRecord({ attributes })]));
    expect(decoded!.attributes).toEqual(attributes);
    expect(typeof decoded!.attributes.big).toBe("bigint");
    expect(typeof decoded!.attributes.safe).toBe("number");
    expect(decoded!.attributes.bytes).toBeInstanceOf(Uint8Array);
  });

  it("keeps ids, flags, dropped counts, schema URL and resource/scope grouping", () => {
    const batch: LogBatch = [
      logRecord({ resource: resourceA, scope: scopeA, flags: 1, droppedAttributesCount: 4 }),
      logRecord({
        resource: resourceB,
        scope: scopeB,
        traceId: "0af7651916cd43dd8448eb211c80319c",
      }),
      logRecord({ resource: resourceA, scope: scopeB, spanId: "b7ad6b7169203331" }),
      logRecord({ resource: resourceA, scope: scopeA, eventName: undefined }),
    ];
    const decoded = decodeLogsProto(encodeLogsProto(batch));
    // Regrouped by resource then scope, first-seen order: a/a, a/a, a/b, b/b.
    expect(decoded).toEqual([batch[0], batch[3], batch[2], batch[1]]);
    expect(decoded[1]!.resource).toBe(decoded[0]!.resource);
    expect(decoded[2]!.resource).toBe(decoded[0]!.resource);
    expect(decoded[1]!.scope).toBe(decoded[0]!.scope);
    expect(decoded[2]!.scope).not.toBe(decoded[0]!.scope);
    expect(decoded[3]!.resource).not.toBe(decoded[0]!.resource);
  });

  it("agrees with the OTLP/JSON codec on the same batch", () => {
    const batch: LogBatch = [
      logRecord({ resource: resourceA, scope: scopeA, flags: 1 }),
      logRecord({ resource: resourceB, scope: scopeB, body: [1, 2.5, "x", { y: true }] }),
    ];
    const viaJson = decodeLogsRequest(JSON.parse(JSON.stringify(encodeLogsRequest(batch))));
    expect(decodeLogsProto(encodeLogsProto(batch))).toEqual(viaJson);
  });

  it("round-trips metrics of every kind the model holds", () => {
    const batch: MetricBatch = [
      {
        name: "requests",
        description: "all requests",
        unit: "1",
        resource: resourceA,
        scope: scopeA,
        data: {
          type: "sum",
          temporality: "delta",
          monotonic: true,
          points: [
            { attributes: { a: "b" }, startTime: 1n, time: 2_000_000_000_000_000_001n, value: 3 },
          ],
        },
      },
      {
        name: "ratio",
        resource: resourceA,
        scope: scopeA,
        data: { type: "gauge", points: [{ attributes: {}, startTime: 0n, time: 5n, value: 0.25 }] },
      },
      {
        name: "latency",
        resource: resourceB,
        scope: scopeB,
        data: {
          type: "histogram",
          temporality: "cumulative",
          points: [
            {
              attributes: { route: "/" },
              startTime: 1n,
              time: 9n,
              count: 6,
              sum: 0,
              min: -1,
              max: 10,
              explicitBounds: [0, 5],
              bucketCounts: [1, 2, 3],
            },
            {
              attributes: {},
              startTime: 1n,
              time: 9n,
              count: 0,
              explicitBounds: [],
              bucketCounts: [],
            },
          ],
        },
      },
    ];
    const decoded = decodeMetricsProto(encodeMetricsProto(batch));
    expect(decoded).toEqual(batch);
    expect(decoded[1]!.resource).toBe(decoded[0]!.resource);
    const viaJson = decodeMetricsRequest(JSON.parse(JSON.stringify(encodeMetricsRequest(batch))));
    expect(decoded).toEqual(viaJson);
  });

  it("round-trips any attribute value (property-based)", () => {
    const anyValue = fc.letrec<{ value: AnyValue }>((tie) => ({
      value: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        fc.string(),
        fc.boolean(),
        fc.maxSafeInteger(),
        fc
          .bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
          .filter(
            (n) => n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER),
          ),
        fc.double().filter((d) => !Number.isSafeInteger(d) && !Object.is(d, -0)),
        fc.uint8Array(),
        fc.constant(null),
        fc.array(tie("value"), { maxLength: 4 }),
        fc.dictionary(
          fc.string().filter((k) => k !== "__proto__"),
          tie("value"),
          { maxKeys: 4 },
        ),
      ),
    })).value;
    fc.assert(
      fc.property(fc.dictionary(fc.string(), anyValue, { maxKeys: 5 }), (attributes) => {
        const [decoded] = decodeLogsProto(
          encodeLogsProto([logRecord({ attributes, body: attributes })]),
        );
        expect(decoded!.attributes).toEqual(attributes);
        expect(decoded!.body).toEqual(attributes);
      }),
      { numRuns: 200 },
    );
  });
});

describe("malformed protobuf", () => {
  it("throws a PermanentError for bytes that are not a request", () => {
    const bad = new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f]);
    expect(() => decodeLogsProto(bad)).toThrow(PermanentError);
    expect(() => decodeLogsProto(bad)).toThrow(/invalid ExportLogsServiceRequest protobuf/);
    expect(() => decodeMetricsProto(bad)).toThrow(/invalid ExportMetricsServiceRequest protobuf/);
  });

  it("names the record whose trace id has the wrong length", () => {
    const bytes = encodeLogsProto([
      logRecord({ scope: scopeB }),
      logRecord({ scope: scopeB, traceId: "abcd" }),
    ]);
    expect(() => decodeLogsProto(bytes)).toThrow(
      "resourceLogs[0].scopeLogs[0].logRecords[1].traceId: expected 16 bytes, got 2",
    );
    const span = encodeLogsProto([logRecord({ spanId: "00" })]);
    expect(() => decodeLogsProto(span)).toThrow(/logRecords\[0\]\.spanId: expected 8 bytes/);
  });

  it("refuses a severity number outside 0-24", () => {
    const bytes = encodeLogsProto([logRecord({ severityNumber: 30 })]);
    expect(() => decodeLogsProto(bytes)).toThrow(
      "resourceLogs[0].scopeLogs[0].logRecords[0].severityNumber: expected 0-24, got 30",
    );
  });

  it("keeps an attribute named __proto__ as data", () => {
    const attributes = JSON.parse('{"__proto__": "x", "a": 1}') as Record<string, AnyValue>;
    const [decoded] = decodeLogsProto(encodeLogsProto([logRecord({ attributes })]));
    expect(Object.keys(decoded!.attributes)).toEqual(["__proto__", "a"]);
    expect(Object.getPrototypeOf(decoded!.attributes)).toBe(Object.prototype);
  });
});

describe("google.rpc.Status", () => {
  it("carries code, message and a RetryInfo delay", () => {
    expect(decodeStatus(encodeStatus({ code: 14, message: "busy", retryDelayMs: 2500 }))).toEqual({
      code: 14,
      message: "busy",
      retryDelayMs: 2500,
    });
    expect(decodeStatus(encodeStatus({ code: 3, message: "bad" }))).toEqual({
      code: 3,
      message: "bad",
    });
  });
});
