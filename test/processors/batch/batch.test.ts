import { afterEach, describe, expect, it, vi } from "vitest";
import type { Consumer } from "../../../src/component/component.js";
import { PermanentError, RetryableError } from "../../../src/component/errors.js";
import { duration, parseDuration } from "../../../src/config/duration.js";
import type { LogBatch, LogRecord } from "../../../src/pdata/logs.js";
import type { Metric, MetricBatch } from "../../../src/pdata/metrics.js";
import { batchConfigSchema } from "../../../src/processors/batch/config.js";
import { batchFactory } from "../../../src/processors/batch/factory.js";
import { processorContext } from "../../helpers/context.js";
import { logRecords } from "../../helpers/records.js";

/** A downstream that records every send and answers each one when the test says so. */
class DeferredSink implements Consumer<unknown> {
  readonly sends: { batch: unknown[]; resolve(): void; reject(error: Error): void }[] = [];
  consume(batch: unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      this.sends.push({ batch: batch as unknown[], resolve, reject });
    });
  }
  resolveAll(): void {
    for (const send of this.sends) send.resolve();
  }
}

/** A downstream that accepts at once. */
class Sink implements Consumer<unknown> {
  readonly batches: unknown[][] = [];
  async consume(batch: unknown): Promise<void> {
    this.batches.push(batch as unknown[]);
  }
}

function setup(
  config: Record<string, unknown>,
  next: Consumer<unknown>,
  signal: "logs" | "metrics" = "logs",
) {
  const ctx = processorContext("batch", signal, signal);
  const processor = batchFactory.create(ctx, batchConfigSchema.parse(config), next);
  return { ctx, processor };
}

/** Settles after pending microtasks, so a promise that could settle has done so. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Tracks a promise's state without awaiting it. */
function track(promise: Promise<void>) {
  const state = { settled: false, error: undefined as unknown };
  promise.then(
    () => {
      state.settled = true;
    },
    (error) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

function gauge(name: string, points: number): Metric {
  return {
    name,
    data: {
      type: "gauge",
      points: Array.from({ length: points }, (_, i) => ({
        attributes: { i },
        startTime: 0n,
        time: 1n,
        value: i,
      })),
    },
    resource: { attributes: {} },
    scope: { name: "test" },
  };
}

function pointCount(batch: unknown[]): number {
  return (batch as MetricBatch).reduce((n, m) => n + m.data.points.length, 0);
}

afterEach(() => {
  vi.useRealTimers();
});

describe("batch config", () => {
  it("fills in the Collector's defaults", () => {
    expect(batchConfigSchema.parse({})).toEqual({
      send_batch_size: 8192,
      timeout: 200,
      send_batch_max_size: 0,
    });
  });

  it("parses durations", () => {
    expect(batchConfigSchema.parse({ timeout: "2m" }).timeout).toBe(120_000);
    expect(batchConfigSchema.parse({ timeout: "1.5s" }).timeout).toBe(1500);
    expect(batchConfigSchema.parse({ timeout: 50 }).timeout).toBe(50);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(() => parseDuration("5 sec")).toThrow(/expected a duration/);
  });

  it("rejects a malformed duration with a clear message", () => {
    for (const bad of ["5 seconds", "-1s", -5, true]) {
      const result = duration.safeParse(bad);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toBe(
        'expected a duration such as "200ms", "5s" or "1m"',
      );
    }
  });

  it("rejects a max size below the batch size, on the max size", () => {
    const result = batchConfigSchema.safeParse({ send_batch_size: 100, send_batch_max_size: 50 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["send_batch_max_size"]);
    expect(result.error?.issues[0]?.message).toMatch(/>= send_batch_size/);
    expect(
      batchConfigSchema.safeParse({ send_batch_size: 100, send_batch_max_size: 100 }).success,
    ).toBe(true);
    expect(
      batchConfigSchema.safeParse({ send_batch_size: 100, send_batch_max_size: 0 }).success,
    ).toBe(true);
  });

  it("rejects unknown keys and out-of-range sizes", () => {
    expect(batchConfigSchema.safeParse({ send_batch_sizes: 10 }).success).toBe(false);
    expect(batchConfigSchema.safeParse({ send_batch_size: 0 }).success).toBe(false);
    expect(batchConfigSchema.safeParse({ send_batch_size: 1.5 }).success).toBe(false);
    expect(batchConfigSchema.safeParse({ send_batch_max_size: -1 }).success).toBe(false);
  });

  it("documents every option", () => {
    const shape = batchConfigSchema.shape;
    for (const key of Object.keys(shape) as (keyof typeof shape)[]) {
      expect(shape[key].description, key).toBeTruthy();
    }
  });
});

describe("batch processor", () => {
  it("sends once the buffered items reach send_batch_size", async () => {
    const sink = new Sink();
    const { ctx, processor } = setup({ send_batch_size: 5, timeout: "1h" }, sink);
    const first = track(processor.consume(logRecords(3)));
    await tick();
    expect(sink.batches).toHaveLength(0);
    expect(first.settled).toBe(false);

    await processor.consume(logRecords(2));
    expect(sink.batches).toHaveLength(1);
    expect(sink.batches[0]).toHaveLength(5);
    expect(first.settled).toBe(true);
    expect(ctx.telemetry.get("processor/logs/batch/incoming")).toBe(5);
    expect(ctx.telemetry.get("processor/logs/batch/outgoing")).toBe(5);
    await processor.shutdown();
  });

  it("keeps the order of records across callers", async () => {
    const sink = new Sink();
    const { processor } = setup({ send_batch_size: 4, timeout: "1h" }, sink);
    const a = logRecords(2);
    const b = logRecords(2);
    await Promise.all([processor.consume(a), processor.consume(b)]);
    expect(sink.batches[0]).toEqual([...a, ...b]);
    expect((sink.batches[0] as LogRecord[])[0]).toBe(a[0]);
  });

  it("sends a partial batch once the timeout elapses", async () => {
    vi.useFakeTimers();
    const sink = new Sink();
    const { processor } = setup({ send_batch_size: 100, timeout: "200ms" }, sink);
    const pending = track(processor.consume(logRecords(3)));
    await vi.advanceTimersByTimeAsync(150);
    expect(sink.batches).toHaveLength(0);
    expect(pending.settled).toBe(false);

    await vi.advanceTimersByTimeAsync(60);
    expect(sink.batches).toHaveLength(1);
    expect(sink.batches[0]).toHaveLength(3);
    expect(pending).toEqual({ settled: true, error: undefined });
  });

  it("sends a partial batch after a real timeout", async () => {
    const sink = new Sink();
    const { processor } = setup({ send_batch_size: 100, timeout: "20ms" }, sink);
    await processor.consume(logRecords(2));
    expect(sink.batches).toEqual([expect.any(Array)]);
    expect(sink.batches[0]).toHaveLength(2);
  });

  it("sends at once when timeout is 0", async () => {
    const sink = new Sink();
    const { processor } = setup(
      { send_batch_size: 100, timeout: 0, send_batch_max_size: 100 },
      sink,
    );
    await processor.consume(logRecords(3));
    expect(sink.batches.map((b) => b.length)).toEqual([3]);
  });

  it("splits sends at send_batch_max_size and waits for all of them", async () => {
    const sink = new DeferredSink();
    const { ctx, processor } = setup(
      { send_batch_size: 4, send_batch_max_size: 4, timeout: "1h" },
      sink,
    );
    const records = logRecords(10);
    const big = track(processor.consume(records));
    await tick();
    // 8 items go in two full sends; 2 stay buffered below send_batch_size.
    expect(sink.sends.map((s) => s.batch.length)).toEqual([4, 4]);
    sink.resolveAll();
    await tick();
    expect(big.settled).toBe(false);

    const shutdown = processor.shutdown();
    await tick();
    expect(sink.sends.map((s) => s.batch.length)).toEqual([4, 4, 2]);
    expect(sink.sends.flatMap((s) => s.batch)).toEqual(records);
    expect(big.settled).toBe(false);
    sink.sends[2]!.resolve();
    await shutdown;
    expect(big).toEqual({ settled: true, error: undefined });
    expect(ctx.telemetry.get("processor/logs/batch/outgoing")).toBe(10);
  });

  it("does not resolve the caller before downstream has accepted", async () => {
    const sink = new DeferredSink();
    const { processor } = setup({ send_batch_size: 2, timeout: "1h" }, sink);
    const a = track(processor.consume(logRecords(1)));
    const b = track(processor.consume(logRecords(1)));
    await tick();
    expect(sink.sends).toHaveLength(1);
    expect(a.settled).toBe(false);
    expect(b.settled).toBe(false);

    sink.sends[0]!.resolve();
    await tick();
    expect(a).toEqual({ settled: true, error: undefined });
    expect(b).toEqual({ settled: true, error: undefined });
  });

  it("rejects every caller in a failed send with the typed error, and only those", async () => {
    const sink = new DeferredSink();
    const { processor } = setup(
      { send_batch_size: 2, send_batch_max_size: 2, timeout: "1h" },
      sink,
    );
    const a = track(processor.consume(logRecords(1)));
    const b = track(processor.consume(logRecords(2))); // one item in each send
    const c = track(processor.consume(logRecords(1)));
    await tick();
    expect(sink.sends).toHaveLength(2);

    const refused = new PermanentError("bad data");
    sink.sends[0]!.reject(refused);
    await tick();
    expect(a.error).toBe(refused);
    expect(b.settled).toBe(false); // still waiting for its other send

    sink.sends[1]!.resolve();
    await tick();
    expect(b.error).toBe(refused);
    expect(c).toEqual({ settled: true, error: undefined });
  });

  it("keeps a retryable error retryable", async () => {
    const throttled = new RetryableError("throttled", 1000);
    const { processor } = setup(
      { send_batch_size: 1, timeout: "1h" },
      { consume: () => Promise.reject(throttled) },
    );
    await expect(processor.consume(logRecords(1))).rejects.toBe(throttled);
  });

  it("flushes on shutdown and waits for in-flight sends", async () => {
    const sink = new DeferredSink();
    const { processor } = setup({ send_batch_size: 100, timeout: "1h" }, sink);
    const pending = track(processor.consume(logRecords(3)));
    let done = false;
    const shutdown = processor.shutdown().then(() => {
      done = true;
    });
    await tick();
    expect(sink.sends.map((s) => s.batch.length)).toEqual([3]);
    expect(done).toBe(false);
    sink.sends[0]!.resolve();
    await shutdown;
    expect(pending).toEqual({ settled: true, error: undefined });
  });

  it("refuses data after shutdown with a retryable error", async () => {
    const sink = new Sink();
    const { processor } = setup({}, sink);
    await processor.shutdown();
    await expect(processor.consume(logRecords(1))).rejects.toBeInstanceOf(RetryableError);
    expect(sink.batches).toHaveLength(0);
  });

  it("answers an empty batch at once without sending it", async () => {
    const sink = new Sink();
    const { processor } = setup({ send_batch_size: 1 }, sink);
    await processor.consume([] as LogBatch);
    expect(sink.batches).toHaveLength(0);
  });

  it("counts metrics by data points", async () => {
    const sink = new Sink();
    const { ctx, processor } = setup({ send_batch_size: 5, timeout: "1h" }, sink, "metrics");
    const first = track(processor.consume([gauge("a", 2), gauge("b", 2)]));
    await tick();
    expect(sink.batches).toHaveLength(0); // 2 metrics, 4 points: below the size
    expect(first.settled).toBe(false);

    await processor.consume([gauge("c", 1)]);
    expect(sink.batches).toHaveLength(1);
    expect(pointCount(sink.batches[0]!)).toBe(5);
    expect(ctx.telemetry.get("processor/metrics/batch/incoming")).toBe(5);
    expect(ctx.telemetry.get("processor/metrics/batch/outgoing")).toBe(5);
  });

  it("splits a metric's points at send_batch_max_size without changing the input", async () => {
    const sink = new Sink();
    const { processor } = setup(
      { send_batch_size: 3, send_batch_max_size: 3, timeout: "1h" },
      sink,
      "metrics",
    );
    const input = [gauge("a", 2), gauge("b", 5)];
    const before = structuredClone(input);
    const consumed = processor.consume(input);
    await processor.shutdown(); // the last point stays buffered below send_batch_size until here
    await consumed;
    expect(sink.batches.map(pointCount)).toEqual([3, 3, 1]);
    const sent = sink.batches.flat() as Metric[];
    expect(sent.map((m) => `${m.name}:${m.data.points.length}`)).toEqual([
      "a:2",
      "b:1",
      "b:3",
      "b:1",
    ]);
    expect(sent.flatMap((m): unknown[] => m.data.points)).toEqual(
      input.flatMap((m): unknown[] => m.data.points),
    );
    expect(input).toEqual(before);
  });
});
