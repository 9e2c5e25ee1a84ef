import { describe, expect, it } from "vitest";
import { PermanentError } from "../../src/component/errors.js";
import type { LogRecord } from "../../src/pdata/logs.js";
import type { Metric } from "../../src/pdata/metrics.js";
import {
  decodeLogsRequest,
  encodeAnyValue,
  encodeLogsRequest,
  encodeMetricsRequest,
} from "../../src/pdata/otlp-json.js";
import type { Resource, Scope } from "../../src/pdata/resource.js";
import { logRecord } from "../helpers/records.js";

describe("encodeAnyValue", () => {
  it.each([
    ["string", "hi", { stringValue: "hi" }],
    ["empty string", "", { stringValue: "" }],
    ["integer as a decimal string", 42, { intValue: "42" }],
    ["negative integer", -7, { intValue: "-7" }],
    ["bigint beyond 2^53", 9_007_199_254_740_993n, { intValue: "9007199254740993" }],
    ["double", 1.5, { doubleValue: 1.5 }],
    ["huge number is a double, not an invalid int", 1e21, { doubleValue: 1e21 }],
    ["NaN as the proto3 JSON string", Number.NaN, { doubleValue: "NaN" }],
    ["-Infinity", Number.NEGATIVE_INFINITY, { doubleValue: "-Infinity" }],
    ["true", true, { boolValue: true }],
    ["false", false, { boolValue: false }],
    ["null as an empty AnyValue", null, {}],
    ["bytes as base64", new Uint8Array([0, 1, 2, 250]), { bytesValue: "AAEC+g==" }],
  ])("%s", (_name, value, expected) => {
    expect(encodeAnyValue(value)).toEqual(expected);
  });

  it("encodes a subarray's own bytes, not the whole backing buffer", () => {
    const bytes = new Uint8Array([9, 9, 1, 2, 9]).subarray(2, 4);
    expect(encodeAnyValue(bytes)).toEqual({ bytesValue: Buffer.from([1, 2]).toString("base64") });
  });

  it("nests arrays and maps", () => {
    expect(encodeAnyValue({ a: [1, "x", { b: null }], c: 2.5 })).toEqual({
      kvlistValue: {
        values: [
          {
            key: "a",
            value: {
              arrayValue: {
                values: [
                  { intValue: "1" },
                  { stringValue: "x" },
                  { kvlistValue: { values: [{ key: "b", value: {} }] } },
                ],
              },
            },
          },
          { key: "c", value: { doubleValue: 2.5 } },
        ],
      },
    });
  });
});

describe("encodeLogsRequest", () => {
  it("writes lowerCamelCase fields, 64-bit values as strings and the severity as an integer", () => {
    const record = logRecord({
      traceId: "5b8efff798038103d269b633813fc60c",
      spanId: "eee19b7ec3c1b174",
      flags: 1,
      droppedAttributesCount: 2,
    });
    const request = encodeLogsRequest([record]);
    expect(request).toEqual({
      resourceLogs: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "test" } }] },
          scopeLogs: [
            {
              scope: { name: "tripline/test" },
              logRecords: [
                {
                  timeUnixNano: "1795165200123456789",
                  observedTimeUnixNano: "1795165200223456789",
                  severityNumber: 17,
                  severityText: "high",
                  eventName: "security.detection",
                  body: {
                    kvlistValue: {
                      values: [
                        { key: "title", value: { stringValue: "prompt injection blocked" } },
                      ],
                    },
                  },
                  attributes: [{ key: "detection.severity", value: { stringValue: "high" } }],
                  droppedAttributesCount: 2,
                  flags: 1,
                  traceId: "5b8efff798038103d269b633813fc60c",
                  spanId: "eee19b7ec3c1b174",
                },
              ],
            },
          ],
        },
      ],
    });
    // Nanoseconds survive serialisation: a JSON number would round them.
    expect(JSON.stringify(request)).toContain('"timeUnixNano":"1795165200123456789"');
  });

  it("omits optional fields that are absent", () => {
    const { eventName: _, ...withoutEvent } = logRecord();
    const [encoded] = encodeLogsRequest([withoutEvent]).resourceLogs[0]!.scopeLogs[0]!.logRecords;
    expect(Object.keys(encoded!)).toEqual([
      "timeUnixNano",
      "observedTimeUnixNano",
      "severityNumber",
      "severityText",
      "body",
      "attributes",
    ]);
  });

  it("groups by resource and scope identity and keeps record order within a group", () => {
    const resA: Resource = { attributes: { "service.name": "a" }, schemaUrl: "https://schema/a" };
    const resB: Resource = { attributes: { "service.name": "b" } };
    const scope1: Scope = { name: "s1", version: "1.0.0" };
    const scope2: Scope = { name: "s2", attributes: { k: "v" } };
    const rec = (resource: Resource, scope: Scope, i: number): LogRecord =>
      logRecord({ resource, scope, attributes: { i } });
    const request = encodeLogsRequest([
      rec(resA, scope1, 0),
      rec(resB, scope1, 1),
      rec(resA, scope2, 2),
      rec(resA, scope1, 3),
      rec(resB, scope1, 4),
    ]);
    const shape = request.resourceLogs.map((rl) => ({
      resource: rl.resource.attributes[0]!.value,
      schemaUrl: rl.schemaUrl,
      scopes: rl.scopeLogs.map((sl) => ({
        scope: sl.scope,
        is: sl.logRecords.map((r) => r.attributes[0]!.value),
      })),
    }));
    expect(shape).toEqual([
      {
        resource: { stringValue: "a" },
        schemaUrl: "https://schema/a",
        scopes: [
          {
            scope: { name: "s1", version: "1.0.0" },
            is: [{ intValue: "0" }, { intValue: "3" }],
          },
          {
            scope: { name: "s2", attributes: [{ key: "k", value: { stringValue: "v" } }] },
            is: [{ intValue: "2" }],
          },
        ],
      },
      {
        resource: { stringValue: "b" },
        schemaUrl: undefined,
        scopes: [
          { scope: { name: "s1", version: "1.0.0" }, is: [{ intValue: "1" }, { intValue: "4" }] },
        ],
      },
    ]);
  });

  it("keeps equal-looking but distinct resources apart", () => {
    const a: Resource = { attributes: { x: 1 } };
    const b: Resource = { attributes: { x: 1 } };
    expect(
      encodeLogsRequest([logRecord({ resource: a }), logRecord({ resource: b })]).resourceLogs,
    ).toHaveLength(2);
  });

  it("encodes an empty batch as an empty request", () => {
    expect(encodeLogsRequest([])).toEqual({ resourceLogs: [] });
  });
});

describe("encodeMetricsRequest", () => {
  const resource: Resource = { attributes: { "service.name": "m" } };
  const scope: Scope = { name: "tripline/count" };
  const base = { resource, scope, unit: "1" };

  it("encodes sum, gauge and histogram with temporality, monotonicity and 64-bit strings", () => {
    const metrics: Metric[] = [
      {
        ...base,
        name: "detections",
        description: "count",
        data: {
          type: "sum",
          temporality: "delta",
          monotonic: true,
          points: [
            {
              attributes: { sev: "high" },
              startTime: 1_000_000_000_000_000_001n,
              time: 1_000_000_000_000_000_002n,
              value: 3,
            },
          ],
        },
      },
      {
        ...base,
        name: "queue.fill",
        data: { type: "gauge", points: [{ attributes: {}, startTime: 0n, time: 5n, value: 0.25 }] },
      },
      {
        ...base,
        name: "latency",
        data: {
          type: "histogram",
          temporality: "cumulative",
          points: [
            {
              attributes: {},
              startTime: 1n,
              time: 2n,
              count: 6,
              sum: 12.5,
              min: 0.1,
              max: 9,
              explicitBounds: [1, 5],
              bucketCounts: [2, 3, 1],
            },
          ],
        },
      },
    ];
    const request = encodeMetricsRequest(metrics);
    expect(request.resourceMetrics).toHaveLength(1);
    expect(request.resourceMetrics[0]!.scopeMetrics).toHaveLength(1);
    const [sum, gauge, histogram] = request.resourceMetrics[0]!.scopeMetrics[0]!.metrics;
    expect(sum).toEqual({
      name: "detections",
      description: "count",
      unit: "1",
      sum: {
        aggregationTemporality: 1,
        isMonotonic: true,
        dataPoints: [
          {
            attributes: [{ key: "sev", value: { stringValue: "high" } }],
            startTimeUnixNano: "1000000000000000001",
            timeUnixNano: "1000000000000000002",
            asInt: "3",
          },
        ],
      },
    });
    expect(gauge).toEqual({
      name: "queue.fill",
      unit: "1",
      gauge: {
        dataPoints: [{ attributes: [], startTimeUnixNano: "0", timeUnixNano: "5", asDouble: 0.25 }],
      },
    });
    expect(histogram!.histogram).toEqual({
      aggregationTemporality: 2,
      dataPoints: [
        {
          attributes: [],
          startTimeUnixNano: "1",
          timeUnixNano: "2",
          count: "6",
          sum: 12.5,
          min: 0.1,
          max: 9,
          bucketCounts: ["2", "3", "1"],
          explicitBounds: [1, 5],
        },
      ],
    });
  });
});

describe("decodeLogsRequest", () => {
  it("round-trips a batch through encode and decode", () => {
    const resA: Resource = {
      attributes: { "service.name": "a", big: 2n ** 62n },
      schemaUrl: "https://s",
    };
    const resB: Resource = { attributes: {} };
    const scope: Scope = { name: "s", version: "2" };
    const batch: LogRecord[] = [
      logRecord({
        resource: resA,
        scope,
        body: "plain text",
        attributes: {
          int: 7,
          neg: -3,
          dbl: 0.5,
          yes: true,
          nothing: null,
          bytes: new Uint8Array([1, 2, 3]),
          list: [1, "two", [false]],
          map: { nested: { deep: 1.25 } },
        },
        traceId: "5b8efff798038103d269b633813fc60c",
        spanId: "eee19b7ec3c1b174",
        flags: 1,
        droppedAttributesCount: 4,
      }),
      logRecord({ resource: resB, scope, severityNumber: 9, severityText: "INFO" }),
      logRecord({ resource: resA, scope, body: null }),
    ];
    const json = JSON.parse(JSON.stringify(encodeLogsRequest(batch)));
    const decoded = decodeLogsRequest(json);
    expect(decoded).toEqual([batch[0], batch[2], batch[1]]);
    // Shared references come back shared, so a re-encode groups identically.
    expect(decoded[0]!.resource).toBe(decoded[1]!.resource);
    expect(encodeLogsRequest(decoded)).toEqual(json);
  });

  it("accepts 64-bit fields as numbers or strings and widens big intValues to bigint", () => {
    const [record] = decodeLogsRequest({
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: 1718000000000,
                  observedTimeUnixNano: "1718000000000000001",
                  severityNumber: 13,
                  body: { intValue: "9007199254740993" },
                  attributes: [
                    { key: "n", value: { intValue: 12 } },
                    { key: "s", value: { intValue: "-12" } },
                    { key: "inf", value: { doubleValue: "Infinity" } },
                  ],
                  traceId: "5B8EFFF798038103D269B633813FC60C",
                  someFutureField: { ignored: true },
                },
              ],
            },
          ],
        },
      ],
    });
    expect(record).toMatchObject({
      time: 1718000000000n,
      observedTime: 1718000000000000001n,
      severityNumber: 13,
      severityText: "",
      body: 9007199254740993n,
      attributes: { n: 12, s: -12, inf: Number.POSITIVE_INFINITY },
      traceId: "5b8efff798038103d269b633813fc60c",
      resource: { attributes: {} },
      scope: { name: "" },
    });
  });

  it.each([
    ["a non-object request", "nope", "request"],
    ["resourceLogs that is not an array", { resourceLogs: {} }, "resourceLogs"],
    [
      "a bad time",
      { resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: "12abc" }] }] }] },
      "resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano",
    ],
    [
      "a negative time",
      { resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: "-1" }] }] }] },
      "timeUnixNano",
    ],
    [
      "a short traceId",
      { resourceLogs: [{ scopeLogs: [{ logRecords: [{ traceId: "abcd" }] }] }] },
      "logRecords[0].traceId",
    ],
    [
      "an enum name instead of a number",
      {
        resourceLogs: [
          { scopeLogs: [{ logRecords: [{ severityNumber: "SEVERITY_NUMBER_INFO" }] }] },
        ],
      },
      "severityNumber",
    ],
    [
      "a bad nested value",
      {
        resourceLogs: [
          {
            scopeLogs: [
              { logRecords: [{ body: { arrayValue: { values: [{ boolValue: "yes" }] } } }] },
            ],
          },
        ],
      },
      "body.arrayValue.values[0].boolValue",
    ],
  ])("rejects %s as a permanent error naming the path", (_name, input, path) => {
    expect(() => decodeLogsRequest(input)).toThrow(PermanentError);
    expect(() => decodeLogsRequest(input)).toThrow(path);
  });
});
