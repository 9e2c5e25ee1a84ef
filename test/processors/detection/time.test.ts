import { describe, expect, it } from "vitest";
import { parseTime } from "../../../src/processors/detection/time.js";

describe("payload times", () => {
  it("keeps every ISO fraction digit up to nanoseconds", () => {
    const table: [string, bigint][] = [
      ["2026-11-20T09:00:00Z", 1_795_165_200_000_000_000n],
      ["2026-11-20T09:00:00.1Z", 1_795_165_200_100_000_000n],
      ["2026-11-20T09:00:00.000001Z", 1_795_165_200_000_001_000n],
      ["2026-11-20T09:00:00.123456789Z", 1_795_165_200_123_456_789n],
      ["2026-11-20T09:00:00.1234567891Z", 1_795_165_200_123_456_789n],
      ["2026-11-20T11:00:00.5+02:00", 1_795_165_200_500_000_000n],
      ["2026-11-20T04:30:00-0430", 1_795_165_200_000_000_000n],
      ["2026-11-20 09:00:00z", 1_795_165_200_000_000_000n],
    ];
    for (const [text, ns] of table) expect(parseTime(text), text).toBe(ns);
  });

  it("reads epoch numbers in a given unit or by their size", () => {
    expect(parseTime(1_795_165_200, "s")).toBe(1_795_165_200_000_000_000n);
    expect(parseTime(1_795_165_200)).toBe(1_795_165_200_000_000_000n);
    expect(parseTime(1_795_165_200.25)).toBe(1_795_165_200_250_000_000n);
    expect(parseTime(1_795_165_200_123)).toBe(1_795_165_200_123_000_000n);
    expect(parseTime(1_795_165_200_123_456)).toBe(1_795_165_200_123_456_000n);
    expect(parseTime("1795165200123456789")).toBe(1_795_165_200_123_456_789n);
    expect(parseTime("1795165200123.5")).toBe(1_795_165_200_123_500_000n);
    expect(parseTime(5, "ms")).toBe(5_000_000n);
  });

  it("knows month lengths and leap years", () => {
    expect(parseTime("2024-02-29T00:00:00Z")).toBe(BigInt(Date.UTC(2024, 1, 29)) * 1_000_000n);
    expect(parseTime("2000-02-29T00:00:00Z")).toBe(BigInt(Date.UTC(2000, 1, 29)) * 1_000_000n);
    expect(parseTime("2026-12-31T23:59:59.999999999-01:30")).toBe(
      BigInt(Date.UTC(2027, 0, 1, 1, 29, 59)) * 1_000_000n + 999_999_999n,
    );
  });

  it("rejects what is not a time", () => {
    expect(() => parseTime("2026-11-20T09:00:00")).toThrow("with a zone");
    expect(() => parseTime("2026-02-30T09:00:00Z")).toThrow("not a valid date");
    for (const text of [
      "2026-13-01T00:00:00Z",
      "2026-00-10T00:00:00Z",
      "2026-04-31T00:00:00Z",
      "2026-01-00T00:00:00Z",
      "2025-02-29T00:00:00Z",
      "2100-02-29T00:00:00Z",
      "2026-01-01T24:00:00Z",
      "2026-01-01T00:60:00Z",
    ])
      expect(() => parseTime(text), text).toThrow("not a valid date");
    expect(() => parseTime(-1)).toThrow();
    expect(() => parseTime(true)).toThrow("expected a time");
  });
});
