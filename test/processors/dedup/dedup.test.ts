import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Consumer } from "../../../src/component/component.js";
import { PermanentError, RetryableError } from "../../../src/component/errors.js";
import type { LogRecord } from "../../../src/pdata/logs.js";
import { dedupConfigSchema } from "../../../src/processors/dedup/config.js";
import { dedupFactory } from "../../../src/processors/dedup/factory.js";
import { DedupProcessor } from "../../../src/processors/dedup/processor.js";
import { processorContext } from "../../helpers/context.js";
import { logRecord } from "../../helpers/records.js";
import { Sink } from "../internal/sink.js";

function setup(config: Record<string, unknown> = {}, sink = new Sink()) {
  const ctx = processorContext("dedup");
  const processor = dedupFactory.create(
    ctx,
    dedupConfigSchema.parse(config),
    sink,
  ) as DedupProcessor;
  return { sink, ctx, processor };
}

const BASE = 1_795_165_200_000_000_000n;
function detection(id: string, second: number, extra: Record<string, string> = {}): LogRecord {
  return logRecord({
    time: BASE + BigInt(second) * 1_000_000_000n,
    body: { title: `detection ${id}` },
    attributes: { "detection.id": id, ...extra },
  });
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("dedup processor", () => {
  it("passes the first record at once and folds repeats into one summary", async () => {
    const { sink, ctx, processor } = setup({ interval: "30s" });
    const first = detection("a", 0);
    await processor.consume([first]);
    expect(sink.records).toEqual([first]);
    expect(sink.records[0]).toBe(first);

    await processor.consume([detection("a", 5), detection("a", 9)]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sink.records).toHaveLength(1); // repeats held back, window still open

    await vi.advanceTimersByTimeAsync(21_000);
    expect(sink.records).toHaveLength(2);
    const summary = sink.records[1]!;
    expect(summary.attributes).toEqual({
      "detection.id": "a",
      "detection.dedup.count": 3,
      "detection.dedup.first_seen": "2026-11-20T09:00:00.000000000Z",
      "detection.dedup.last_seen": "2026-11-20T09:00:09.000000000Z",
    });
    expect(summary.body).toEqual(first.body);
    expect(first.attributes).toEqual({ "detection.id": "a" });
    expect(processor.size).toBe(0);
    expect(ctx.telemetry.get("processor/logs/dedup/incoming")).toBe(3);
    expect(ctx.telemetry.get("processor/logs/dedup/outgoing")).toBe(2);
    await processor.shutdown();
  });

  it("sends no summary for a key seen once, and opens a new window after the old closes", async () => {
    const { sink, processor } = setup({ interval: "1s" });
    await processor.consume([detection("a", 0)]);
    await vi.advanceTimersByTimeAsync(1_200);
    expect(sink.records).toHaveLength(1);
    await processor.consume([detection("a", 2)]);
    expect(sink.records).toHaveLength(2);
    expect(sink.records[1]!.attributes["detection.dedup.count"]).toBeUndefined();
    await processor.shutdown();
  });

  it("closes an expired window on arrival even before the sweep runs", async () => {
    const clock = { now: 0 };
    const sink = new Sink();
    const processor = new DedupProcessor(
      processorContext("dedup"),
      dedupConfigSchema.parse({ interval: "10s" }),
      sink,
      () => clock.now,
    );
    await processor.consume([detection("a", 0), detection("a", 1)]);
    clock.now = 10_000;
    await processor.consume([detection("a", 10)]);
    await vi.advanceTimersByTimeAsync(0);
    // The old window's summary goes out before the record that opens the new one.
    const counts = sink.records.map((r) => r.attributes["detection.dedup.count"]);
    expect(counts).toEqual([undefined, 2, undefined]);
    await processor.shutdown();
  });

  it("dedups on several keys, and passes records with none of them untouched", async () => {
    const { sink, processor } = setup({ keys: ["rule", "agent"], interval: "1m" });
    const batch = [
      logRecord({ attributes: { rule: "r1", agent: "x" } }),
      logRecord({ attributes: { rule: "r1", agent: "y" } }),
      logRecord({ attributes: { rule: "r1", agent: "x" } }),
      logRecord({ attributes: { rule: "r1" } }),
      logRecord({ attributes: { rule: "r1" } }),
      logRecord({ attributes: { other: 1 } }),
      logRecord({ attributes: { other: 1 } }),
    ];
    await processor.consume(batch);
    expect(sink.records).toEqual([batch[0], batch[1], batch[3], batch[5], batch[6]]);
    expect(sink.records[3]).toBe(batch[5]);
    await processor.shutdown();
  });

  it("bounds memory with max_keys, closing the least recently seen key first", async () => {
    const { sink, processor } = setup({ max_keys: 100, interval: "1h" });
    await processor.consume([detection("hot", 0)]);
    for (let i = 0; i < 10_000; i++) {
      if (i % 50 === 0) await processor.consume([detection("hot", 1)]); // keeps "hot" recent
      await processor.consume([detection(`k${i}`, 1)]);
      expect(processor.size).toBeLessThanOrEqual(100);
    }
    expect(processor.size).toBe(100);
    expect(processor.queued).toBeLessThanOrEqual(201);
    // "hot" survived eviction: no summary for it yet.
    expect(sink.records.filter((r) => r.attributes["detection.dedup.count"])).toEqual([]);

    await processor.consume([detection("k9999", 2), detection("k0", 3)]);
    expect(sink.records.at(-1)!.attributes["detection.id"]).toBe("k0"); // k0 was evicted
    await processor.shutdown();
    const summaries = sink.records.filter((r) => r.attributes["detection.dedup.count"]);
    expect(
      summaries.map((r) => [r.attributes["detection.id"], r.attributes["detection.dedup.count"]]),
    ).toEqual(
      expect.arrayContaining([
        ["hot", 201],
        ["k9999", 2],
      ]),
    );
  });

  it("flushes an evicted key's repeats as a summary at once", async () => {
    const { sink, processor } = setup({ max_keys: 2, interval: "1h" });
    await processor.consume([detection("a", 0), detection("a", 1), detection("b", 2)]);
    await processor.consume([detection("c", 3)]);
    await vi.advanceTimersByTimeAsync(0);
    const summary = sink.records.find((r) => r.attributes["detection.dedup.count"] === 2);
    expect(summary?.attributes["detection.id"]).toBe("a");
    expect(processor.size).toBe(2);
    await processor.shutdown();
  });

  it("undoes a refused batch so the resent copy is forwarded, not folded", async () => {
    const { sink, processor } = setup({ interval: "1m" });
    const refused = new RetryableError("busy");
    sink.failures.push(refused);
    const batch = [detection("a", 0), detection("a", 1)];
    await expect(processor.consume(batch)).rejects.toBe(refused);
    expect(processor.size).toBe(0);

    await processor.consume(batch);
    expect(sink.records).toEqual([batch[0]]);
    await processor.shutdown();
    expect(sink.records[1]!.attributes["detection.dedup.count"]).toBe(2);
  });

  it("delivers repeats through the summary when the forwarded record was refused", async () => {
    const { sink, processor } = setup({ interval: "1m" });
    const opening = processor.consume([detection("a", 0)]);
    await processor.consume([detection("a", 1)]); // folded while the first is in flight
    await opening;
    expect(sink.records).toHaveLength(1);
    await processor.shutdown();
    expect(sink.records[1]!.attributes["detection.dedup.count"]).toBe(2);
  });

  it("forwards the next repeat when the first was refused after a repeat was folded", async () => {
    const sink = new Sink();
    let release: (() => void) | undefined;
    const gate: Consumer<unknown> = {
      consume: () =>
        new Promise((_resolve, reject) => {
          release = () => reject(new RetryableError("down"));
        }),
    };
    let calls = 0;
    const next: Consumer<unknown> = {
      consume: (batch) => (calls++ === 0 ? gate.consume(batch) : sink.consume(batch)),
    };
    const { processor } = setup({ interval: "1m" }, next as Sink);
    const opening = processor.consume([detection("a", 0)]);
    await processor.consume([detection("a", 1)]);
    release!();
    await expect(opening).rejects.toBeInstanceOf(RetryableError);
    // The window holds one accepted repeat and nothing delivered: the next record goes through.
    await processor.consume([detection("a", 2)]);
    expect(sink.records.map((r) => r.attributes["detection.dedup.count"])).toEqual([undefined]);
    await processor.shutdown();
    expect(sink.records[1]!.attributes["detection.dedup.count"]).toBe(2);
  });

  it("retries a summary refused with a retryable error on the next tick", async () => {
    const { sink, processor } = setup({ interval: "1s" });
    await processor.consume([detection("a", 0), detection("a", 1)]);
    sink.failures.push(new RetryableError("busy"));
    await vi.advanceTimersByTimeAsync(1_050); // the window closes; its summary is refused
    expect(sink.records).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(sink.records).toHaveLength(2);
    expect(sink.records[1]!.attributes["detection.dedup.count"]).toBe(2);
    await processor.shutdown();
  });

  it("drops a summary refused permanently instead of retrying it forever", async () => {
    const { sink, processor } = setup({ interval: "1s" });
    await processor.consume([detection("a", 0), detection("a", 1)]);
    sink.failures.push(new PermanentError("bad"));
    await vi.advanceTimersByTimeAsync(3_000);
    await processor.shutdown();
    expect(sink.records).toHaveLength(1);
  });

  it("shutdown sends every pending summary and waits until downstream accepted them", async () => {
    const answers: (() => void)[] = [];
    const received: LogRecord[] = [];
    const slow: Consumer<unknown> = {
      consume: (batch) =>
        new Promise((resolve) => {
          received.push(...(batch as LogRecord[]));
          answers.push(resolve);
        }),
    };
    const { processor } = setup({ interval: "1h" }, slow as Sink);
    const a = processor.consume([detection("a", 0)]);
    const b = processor.consume([detection("b", 0)]);
    await processor.consume([detection("a", 1), detection("b", 1), detection("b", 2)]);
    for (const answer of answers.splice(0)) answer();
    await Promise.all([a, b]);

    let done = false;
    const shutdown = processor.shutdown().then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(false);
    const counts = received.slice(2).map((r) => r.attributes["detection.dedup.count"]);
    expect(counts).toEqual([2, 3]);
    for (const answer of answers) answer();
    await shutdown;
    expect(done).toBe(true);
    await expect(processor.consume([detection("a", 3)])).rejects.toBeInstanceOf(RetryableError);
  });
});

describe("dedup config", () => {
  it("has defaults and documents every option", () => {
    expect(dedupConfigSchema.parse({})).toEqual({
      keys: ["detection.id"],
      interval: 30_000,
      max_keys: 100_000,
    });
    const shape = dedupConfigSchema.shape;
    for (const key of Object.keys(shape) as (keyof typeof shape)[]) {
      expect(shape[key].description, key).toBeTruthy();
    }
  });

  it("rejects bad values", () => {
    for (const bad of [{ keys: [] }, { interval: 0 }, { max_keys: 0 }, { key: ["a"] }]) {
      expect(dedupConfigSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
