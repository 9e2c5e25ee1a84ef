import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RetryableError } from "../../../src/component/errors.js";
import type { LogRecord } from "../../../src/pdata/logs.js";
import { throttleConfigSchema } from "../../../src/processors/throttle/config.js";
import { throttleFactory } from "../../../src/processors/throttle/factory.js";
import { ThrottleProcessor } from "../../../src/processors/throttle/processor.js";
import { processorContext } from "../../helpers/context.js";
import { logRecord } from "../../helpers/records.js";
import { Sink as RecordingSink } from "../internal/sink.js";

/** Tells the throttle's summaries from the records it let through. */
class Sink extends RecordingSink {
  get summaries(): LogRecord[] {
    return this.records.filter((r) => r.attributes["detection.throttle.dropped"] !== undefined);
  }
}

/** A context whose meter records counter additions, to check the self-telemetry. */
function meteredContext() {
  const ctx = processorContext("throttle");
  const added: { name: string; value: number; attributes: unknown }[] = [];
  const meter = {
    createCounter: (name: string) => ({
      add: (value: number, attributes: unknown) => added.push({ name, value, attributes }),
    }),
  };
  return { ctx: { ...ctx, telemetry: Object.assign(ctx.telemetry, { meter }) }, added };
}

function setup(config: Record<string, unknown>) {
  const clock = { now: 0 };
  const sink = new Sink();
  const { ctx, added } = meteredContext();
  const processor = new ThrottleProcessor(
    ctx as never,
    throttleConfigSchema.parse(config),
    sink,
    () => clock.now,
  );
  return { clock, sink, processor, added, ctx };
}

const agent = (id: string, n = 0) =>
  logRecord({
    attributes: { "gen_ai.agent.id": id, n },
    time: 1_795_165_200_000_000_000n + BigInt(n),
  });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("throttle processor", () => {
  const rates: {
    name: string;
    rate: number;
    burst?: number;
    steps: [ms: number, sent: number][];
    passed: number;
  }[] = [
    // burst 2, then 1/s: 5 at t=0 → 2 pass; 5 at t=1s → 1 passes; 5 at t=6s → 2 (bucket capped).
    {
      name: "burst then steady rate",
      rate: 1,
      burst: 2,
      steps: [
        [0, 5],
        [1000, 5],
        [6000, 5],
      ],
      passed: 5,
    },
    // rate 10/s, burst defaults to 10: 20 at once → 10; 100ms later → 1 more.
    {
      name: "default burst is the rate",
      rate: 10,
      steps: [
        [0, 20],
        [100, 5],
      ],
      passed: 11,
    },
    // fractional rate 0.5/s, burst defaults to 1: one every 2 s.
    {
      name: "fractional rate",
      rate: 0.5,
      steps: [
        [0, 3],
        [1000, 3],
        [2000, 3],
        [4000, 3],
      ],
      passed: 3,
    },
  ];
  for (const c of rates) {
    it(`lets through the configured rate: ${c.name}`, async () => {
      const { clock, sink, processor, added } = setup({
        keys: ["gen_ai.agent.id"],
        rate: c.rate,
        ...(c.burst ? { burst: c.burst } : {}),
        summary: false,
      });
      let sent = 0;
      for (const [ms, count] of c.steps) {
        clock.now = ms;
        await processor.consume(Array.from({ length: count }, () => agent("a")));
        sent += count;
      }
      expect(sink.records).toHaveLength(c.passed);
      const throttled = added.filter((a) => a.name === "tripline_processor_throttled_log_records");
      expect(throttled.reduce((n, a) => n + a.value, 0)).toBe(sent - c.passed);
      expect(throttled[0]?.attributes).toEqual({ processor: "throttle" });
      await processor.shutdown();
    });
  }

  it("keeps a budget per key and passes records with no key", async () => {
    const { sink, processor } = setup({ keys: ["gen_ai.agent.id"], rate: 1, summary: false });
    const free = [logRecord({ attributes: {} }), logRecord({ attributes: {} })];
    await processor.consume([agent("a"), agent("a"), agent("b"), agent("b"), ...free]);
    expect(sink.records.map((r) => r.attributes["gen_ai.agent.id"] ?? "-")).toEqual([
      "a",
      "b",
      "-",
      "-",
    ]);
    await processor.shutdown();
  });

  it("emits one summary per throttled key every summary_interval", async () => {
    const { clock, sink, processor } = setup({
      keys: ["gen_ai.agent.id"],
      rate: 1,
      summary_interval: "10s",
    });
    await processor.consume([
      agent("a", 1),
      agent("a", 2),
      agent("a", 3),
      agent("b", 4),
      agent("c", 5),
      agent("c", 6),
    ]);
    expect(sink.summaries).toEqual([]);
    clock.now = 10_000;
    await vi.advanceTimersByTimeAsync(10_000);
    const summaries = sink.summaries.map((r) => [
      r.attributes["gen_ai.agent.id"],
      r.attributes["detection.throttle.dropped"],
      r.attributes.n,
    ]);
    expect(summaries).toEqual([
      ["a", 2, 2],
      ["c", 1, 6],
    ]);
    expect(sink.summaries[0]!.attributes["detection.throttle.first_dropped"]).toBe(
      "2026-11-20T09:00:00.000000002Z",
    );
    expect(sink.summaries[0]!.attributes["detection.throttle.last_dropped"]).toBe(
      "2026-11-20T09:00:00.000000003Z",
    );
    // Nothing dropped since: the next tick is quiet.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sink.summaries).toHaveLength(2);
    await processor.shutdown();
  });

  it("sends no summaries when summary is false", async () => {
    const { sink, processor } = setup({
      keys: ["k"],
      rate: 1,
      summary: false,
      summary_interval: "1s",
    });
    await processor.consume([
      logRecord({ attributes: { k: 1 } }),
      logRecord({ attributes: { k: 1 } }),
    ]);
    await vi.advanceTimersByTimeAsync(2_000);
    await processor.shutdown();
    expect(sink.records).toHaveLength(1);
  });

  it("summarises pending drops on shutdown", async () => {
    const { sink, processor } = setup({
      keys: ["gen_ai.agent.id"],
      rate: 1,
      summary_interval: "1h",
    });
    await processor.consume([agent("a"), agent("a"), agent("a")]);
    await processor.shutdown();
    expect(sink.summaries.map((r) => r.attributes["detection.throttle.dropped"])).toEqual([2]);
    await expect(processor.consume([agent("a")])).rejects.toBeInstanceOf(RetryableError);
  });

  it("bounds its keys with max_keys and summarises an evicted key's drops", async () => {
    const { sink, processor } = setup({
      keys: ["gen_ai.agent.id"],
      rate: 1,
      max_keys: 100,
      summary_interval: "1h",
    });
    await processor.consume([agent("first"), agent("first")]);
    for (let i = 0; i < 10_000; i++) {
      await processor.consume([agent(`k${i}`)]);
      expect(processor.size).toBeLessThanOrEqual(100);
    }
    await vi.advanceTimersByTimeAsync(0);
    expect(processor.size).toBe(100);
    expect(sink.summaries.map((r) => r.attributes["gen_ai.agent.id"])).toEqual(["first"]);
    await processor.shutdown();
  });

  it("forgets keys whose bucket has refilled", async () => {
    const { clock, processor } = setup({
      keys: ["gen_ai.agent.id"],
      rate: 10,
      summary_interval: "1s",
    });
    const burst = (id: string) => Array.from({ length: 10 }, () => agent(id));
    await processor.consume([...burst("a"), ...burst("b")]); // both buckets empty
    expect(processor.size).toBe(2);
    clock.now = 500; // 5 tokens back: not full yet
    await vi.advanceTimersByTimeAsync(1_000);
    expect(processor.size).toBe(2);
    clock.now = 2_000;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(processor.size).toBe(0);
    await processor.shutdown();
  });

  it("gives back the budget of a batch downstream refused", async () => {
    const { sink, processor } = setup({ keys: ["gen_ai.agent.id"], rate: 1, burst: 2 });
    sink.failures.push(new RetryableError("busy"));
    const batch = [agent("a"), agent("a"), agent("a")];
    await expect(processor.consume(batch)).rejects.toBeInstanceOf(RetryableError);
    await processor.consume(batch);
    expect(sink.records).toHaveLength(2);
    await processor.shutdown();
    expect(sink.summaries.map((r) => r.attributes["detection.throttle.dropped"])).toEqual([1]);
  });

  it("is created through its factory with a real clock", async () => {
    const sink = new Sink();
    const processor = throttleFactory.create(
      processorContext("throttle"),
      throttleConfigSchema.parse({ keys: ["k"], rate: 1 }),
      sink,
    );
    expect(processor.mutatesData).toBe(false);
    await processor.consume([
      logRecord({ attributes: { k: 1 } }),
      logRecord({ attributes: { k: 1 } }),
    ]);
    expect(sink.records).toHaveLength(1);
    await processor.shutdown();
  });
});

describe("throttle config", () => {
  it("fills defaults, burst from the rate", () => {
    expect(throttleConfigSchema.parse({ keys: ["a"], rate: 2.5 })).toEqual({
      keys: ["a"],
      rate: 2.5,
      burst: 3,
      max_keys: 100_000,
      summary: true,
      summary_interval: 60_000,
    });
    expect(throttleConfigSchema.parse({ keys: ["a"], rate: 0.1 }).burst).toBe(1);
  });

  it("rejects bad values", () => {
    for (const bad of [
      { rate: 1 },
      { keys: ["a"] },
      { keys: ["a"], rate: 0 },
      { keys: ["a"], rate: 1, burst: 0 },
      { keys: ["a"], rate: 1, burst: 1.5 },
      { keys: ["a"], rate: 1, summary_interval: 0 },
      { keys: ["a"], rate: 1, rates: 2 },
    ]) {
      expect(throttleConfigSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
