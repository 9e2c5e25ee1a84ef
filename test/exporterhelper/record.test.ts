import { describe, expect, it } from "vitest";
import { decodeBatch, encodeBatch } from "../../src/exporterhelper/codec.js";
import { encodeFrame, scanFrames } from "../../src/exporterhelper/record.js";
import type { MetricBatch } from "../../src/pdata/metrics.js";
import { encodeLogsRequest } from "../../src/pdata/otlp-json.js";
import { decodeLogsProto } from "../../src/pdata/otlp-proto.js";
import { logRecords } from "../helpers/records.js";

describe("segment record framing", () => {
  const payloads = ["first", "second record", "3"].map((s) => Buffer.from(s));
  const frames = payloads.map((p, i) => encodeFrame(100 + i, p));
  const data = Buffer.concat(frames);

  it("reads back every record with its sequence number", () => {
    const { records, validBytes } = scanFrames(data);
    expect(records.map((r) => [r.seq, r.payload.toString()])).toEqual([
      [100, "first"],
      [101, "second record"],
      [102, "3"],
    ]);
    expect(validBytes).toBe(data.length);
  });

  it("keeps exactly the whole records before any cut", () => {
    const ends = frames.map((_, i) => frames.slice(0, i + 1).reduce((n, f) => n + f.length, 0));
    for (let cut = 0; cut < data.length; cut++) {
      const whole = ends.filter((end) => end <= cut);
      const { records, validBytes } = scanFrames(data.subarray(0, cut));
      expect(records, `cut at ${cut}`).toHaveLength(whole.length);
      expect(validBytes).toBe(whole.at(-1) ?? 0);
    }
  });

  it("stops at a record whose CRC does not match", () => {
    for (let i = 0; i < data.length; i++) {
      const damaged = Buffer.from(data);
      damaged[i]! ^= 0x01;
      const { records } = scanFrames(damaged);
      const hit = [frames[0]!.length, frames[0]!.length + frames[1]!.length].filter(
        (end) => end <= i,
      ).length;
      expect(records, `flipped byte ${i}`).toHaveLength(hit);
    }
  });
});

describe("stored batch codec", () => {
  it("round-trips logs, stored as OTLP protobuf behind a marker byte", () => {
    const batch = logRecords(3);
    const payload = encodeBatch("logs", batch);
    expect(payload[0]).toBe(0x01);
    expect(decodeLogsProto(payload.subarray(1))).toEqual(batch);
    expect(decodeBatch(payload)).toEqual({ signal: "logs", batch });
  });

  it("reads logs that earlier versions stored as OTLP/JSON", () => {
    const batch = logRecords(3);
    const legacy = Buffer.from(
      JSON.stringify({ signal: "logs", request: encodeLogsRequest(batch) }, (_k, v) =>
        typeof v === "bigint" ? v.toString() : v,
      ),
    );
    expect(decodeBatch(legacy)).toEqual({ signal: "logs", batch });
  });

  it("round-trips every metric type with shared resources and scopes", () => {
    const resource = { attributes: { "service.name": "tripline", big: 2n ** 60n } };
    const scope = { name: "count", version: "1" };
    const batch: MetricBatch = [
      {
        name: "detections",
        description: "count",
        unit: "1",
        data: {
          type: "sum",
          temporality: "delta",
          monotonic: true,
          points: [
            {
              attributes: { rule: "r1" },
              startTime: 1n,
              time: 1_795_165_200_123_456_789n,
              value: 3,
            },
          ],
        },
        resource,
        scope,
      },
      {
        name: "ratio",
        data: {
          type: "gauge",
          points: [{ attributes: {}, startTime: 0n, time: 2n, value: 0.25 }],
        },
        resource,
        scope,
      },
      {
        name: "latency",
        data: {
          type: "histogram",
          temporality: "cumulative",
          points: [
            {
              attributes: { route: "/v1" },
              startTime: 0n,
              time: 3n,
              count: 4,
              sum: 10.5,
              min: 0.5,
              max: 7,
              explicitBounds: [1, 5],
              bucketCounts: [1, 2, 1],
            },
          ],
        },
        resource: { attributes: {} },
        scope,
      },
    ];
    const decoded = decodeBatch(encodeBatch("metrics", batch));
    expect(decoded).toEqual({ signal: "metrics", batch });
    const metrics = decoded.batch as MetricBatch;
    expect(metrics[0]!.resource).toBe(metrics[1]!.resource);
  });

  it("throws on a payload it did not write", () => {
    expect(() => decodeBatch(Buffer.from('{"signal":"traces"}'))).toThrow(/unknown signal/);
    expect(() => decodeBatch(Buffer.from("not json"))).toThrow();
  });
});
