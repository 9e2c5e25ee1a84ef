import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir, totalmem } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Consumer } from "../../../src/component/component.js";
import { RetryableError } from "../../../src/component/errors.js";
import { MemoryPressure, memoryPressure } from "../../../src/component/memory-pressure.js";
import { memoryLimiterConfigSchema } from "../../../src/processors/memory_limiter/config.js";
import { memoryLimiterFactory } from "../../../src/processors/memory_limiter/factory.js";
import { cgroupLimit, type MemorySource } from "../../../src/processors/memory_limiter/memory.js";
import {
  limitsFor,
  MemoryLimiterProcessor,
} from "../../../src/processors/memory_limiter/processor.js";
import { MeteredTelemetry } from "../../exporterhelper/helpers.js";
import { noopHost, processorContext } from "../../helpers/context.js";
import { logRecords } from "../../helpers/records.js";

const MIB = 1024 * 1024;

class Sink implements Consumer<unknown> {
  readonly batches: unknown[] = [];
  async consume(batch: unknown): Promise<void> {
    this.batches.push(batch);
  }
}

/** Memory the test sets by hand; `collect` frees what the test says a GC would free. */
class FakeMemory implements MemorySource {
  usedBytes = 0;
  freedByGc = 0;
  collections = 0;
  used = () => this.usedBytes;
  available = () => 1000 * MIB;
  collect = () => {
    this.collections++;
    this.usedBytes -= this.freedByGc;
  };
}

function setup(config: Record<string, unknown>, memory = new FakeMemory()) {
  const telemetry = new MeteredTelemetry();
  const ctx = { ...processorContext("memory_limiter"), telemetry };
  const sink = new Sink();
  const processor = new MemoryLimiterProcessor(
    ctx,
    memoryLimiterConfigSchema.parse(config),
    sink,
    memory,
  );
  return { processor, sink, memory, telemetry };
}

afterEach(() => {
  vi.useRealTimers();
  memoryPressure.reset();
});

describe("memory_limiter config", () => {
  it("defaults check_interval to 1s and requires a limit", () => {
    expect(memoryLimiterConfigSchema.parse({ limit_mib: 100 })).toEqual({
      check_interval: 1000,
      limit_mib: 100,
      spike_limit_mib: 0,
      limit_percentage: 0,
      spike_limit_percentage: 0,
    });
    const none = memoryLimiterConfigSchema.safeParse({});
    expect(none.error?.issues[0]?.path).toEqual(["limit_mib"]);
  });

  it("rejects a spike limit not below the limit, and a zero interval", () => {
    const spike = memoryLimiterConfigSchema.safeParse({ limit_mib: 100, spike_limit_mib: 100 });
    expect(spike.error?.issues[0]?.path).toEqual(["spike_limit_mib"]);
    const pct = memoryLimiterConfigSchema.safeParse({
      limit_percentage: 50,
      spike_limit_percentage: 60,
    });
    expect(pct.error?.issues[0]?.path).toEqual(["spike_limit_percentage"]);
    expect(memoryLimiterConfigSchema.safeParse({ limit_mib: 10, check_interval: 0 }).success).toBe(
      false,
    );
    expect(memoryLimiterConfigSchema.safeParse({ limit_percentage: 101 }).success).toBe(false);
    expect(memoryLimiterConfigSchema.safeParse({ limit_mib: 1, limit_mb: 2 }).success).toBe(false);
  });

  it("documents every option", () => {
    const shape = memoryLimiterConfigSchema.shape;
    for (const key of Object.keys(shape) as (keyof typeof shape)[]) {
      expect(shape[key].description, key).toBeTruthy();
    }
  });

  it("derives soft = hard − spike, with the spike 20% of the limit by default", () => {
    const parse = (c: object) => memoryLimiterConfigSchema.parse(c);
    expect(limitsFor(parse({ limit_mib: 100 }), 0)).toEqual({ hard: 100 * MIB, soft: 80 * MIB });
    expect(limitsFor(parse({ limit_mib: 100, spike_limit_mib: 30 }), 0)).toEqual({
      hard: 100 * MIB,
      soft: 70 * MIB,
    });
    expect(limitsFor(parse({ limit_percentage: 50 }), 1000)).toEqual({ hard: 500, soft: 400 });
    expect(limitsFor(parse({ limit_percentage: 50, spike_limit_percentage: 10 }), 1000)).toEqual({
      hard: 500,
      soft: 400,
    });
    expect(limitsFor(parse({ limit_percentage: 80, spike_limit_percentage: 25 }), 1000)).toEqual({
      hard: 800,
      soft: 550,
    });
  });
});

describe("memory_limiter processor", () => {
  it("passes data on below the soft limit", async () => {
    const { processor, sink, memory } = setup({ limit_mib: 100 });
    memory.usedBytes = 79 * MIB;
    await processor.start(noopHost);
    const batch = logRecords(2);
    await processor.consume(batch);
    expect(sink.batches).toEqual([batch]);
    await processor.shutdown();
  });

  it("refuses with a retryable error above the soft limit, counts it, and recovers", async () => {
    vi.useFakeTimers();
    const { processor, sink, memory, telemetry } = setup({ limit_mib: 100, check_interval: "1s" });
    memory.usedBytes = 10 * MIB;
    await processor.start(noopHost);
    memory.usedBytes = 85 * MIB;
    await processor.consume(logRecords(1)); // not measured again until the next check
    await vi.advanceTimersByTimeAsync(1000);

    const refused = processor.consume(logRecords(3));
    await expect(refused).rejects.toBeInstanceOf(RetryableError);
    await expect(refused).rejects.toThrow(/above the soft limit of 80 MiB/);
    expect(await refused.catch((e: RetryableError) => e.retryAfterMs)).toBe(1000);
    expect(
      await telemetry.metric("tripline_processor_refused_log_records", {
        processor: "memory_limiter",
      }),
    ).toBe(3);
    expect(sink.batches).toHaveLength(1);

    memory.usedBytes = 50 * MIB;
    await vi.advanceTimersByTimeAsync(1000);
    await processor.consume(logRecords(1));
    expect(sink.batches).toHaveLength(2);
    await processor.shutdown();
  });

  it("forces a GC above the hard limit and accepts again if that freed enough", async () => {
    const memory = new FakeMemory();
    const { processor, sink } = setup({ limit_mib: 100 }, memory);
    memory.usedBytes = 120 * MIB;
    memory.freedByGc = 60 * MIB;
    await processor.start(noopHost);
    expect(memory.collections).toBe(1);
    await processor.consume(logRecords(1));
    expect(sink.batches).toHaveLength(1);

    memory.usedBytes = 90 * MIB; // between soft and hard: refuse, no GC
    processor.check();
    expect(memory.collections).toBe(1);
    await expect(processor.consume(logRecords(1))).rejects.toBeInstanceOf(RetryableError);
    await processor.shutdown();
  });

  it("is created by its factory with the process's own memory", async () => {
    const telemetry = new MeteredTelemetry();
    const ctx = { ...processorContext("memory_limiter"), telemetry };
    const sink = new Sink();
    const processor = memoryLimiterFactory.create(
      ctx,
      memoryLimiterConfigSchema.parse({ limit_percentage: 100, spike_limit_percentage: 1 }),
      sink,
    );
    await processor.start(noopHost);
    await processor.consume(logRecords(1));
    expect(sink.batches).toHaveLength(1);
    await processor.shutdown();
  });
});

describe("memory pressure signal (admission control)", () => {
  it("a running limiter reports pressure above its soft limit, with its limit and interval", async () => {
    vi.useFakeTimers();
    const { processor, memory } = setup({ limit_mib: 100, check_interval: "2s" });
    memory.usedBytes = 10 * MIB;
    expect(memoryPressure.isAboveSoftLimit()).toBe(false); // not registered before start
    await processor.start(noopHost);
    expect(memoryPressure.current()).toBeUndefined();
    memory.usedBytes = 81 * MIB;
    await vi.advanceTimersByTimeAsync(2000);
    expect(memoryPressure.current()).toEqual({ softLimitBytes: 80 * MIB, retryAfterMs: 2000 });
    await processor.shutdown();
    // A stopped limiter no longer holds the process under pressure.
    expect(memoryPressure.isAboveSoftLimit()).toBe(false);
  });

  it("measures again at admission when the last reading is older than a few ms", async () => {
    vi.useFakeTimers();
    const { processor, memory } = setup({ limit_mib: 100, check_interval: "1h" });
    memory.usedBytes = 10 * MIB;
    await processor.start(noopHost);
    memory.usedBytes = 90 * MIB;
    // Same instant as the last reading: it is fresh, so it is trusted.
    expect(memoryPressure.isAboveSoftLimit()).toBe(false);
    // The timer is an hour away, yet a few ms later the reading is stale and taken again.
    vi.advanceTimersByTime(10);
    expect(memoryPressure.isAboveSoftLimit()).toBe(true);
    await expect(processor.consume(logRecords(1))).rejects.toBeInstanceOf(RetryableError);
    memory.usedBytes = 10 * MIB;
    vi.advanceTimersByTime(10);
    expect(memoryPressure.isAboveSoftLimit()).toBe(false);
    await processor.shutdown();
  });

  it("forces no garbage collection from an admission-time reading, only from the timer", async () => {
    vi.useFakeTimers();
    const { processor, memory } = setup({ limit_mib: 100, check_interval: "1h" });
    memory.usedBytes = 10 * MIB;
    await processor.start(noopHost);
    memory.usedBytes = 120 * MIB;
    memory.freedByGc = 100 * MIB;
    vi.advanceTimersByTime(10);
    expect(memoryPressure.isAboveSoftLimit()).toBe(true);
    expect(memory.collections).toBe(0);
    await processor.shutdown();
  });

  it("combines limiters: any one above its soft limit is pressure, with the longest retry hint", async () => {
    vi.useFakeTimers();
    const a = setup({ limit_mib: 100, check_interval: "1s" });
    const b = setup({ limit_mib: 200, check_interval: "3s" });
    a.memory.usedBytes = 10 * MIB;
    b.memory.usedBytes = 10 * MIB;
    await a.processor.start(noopHost);
    await b.processor.start(noopHost);
    vi.advanceTimersByTime(10);
    expect(memoryPressure.isAboveSoftLimit()).toBe(false);
    b.memory.usedBytes = 170 * MIB;
    vi.advanceTimersByTime(10);
    expect(memoryPressure.current()).toEqual({ softLimitBytes: 160 * MIB, retryAfterMs: 3000 });
    a.memory.usedBytes = 90 * MIB;
    vi.advanceTimersByTime(10);
    expect(memoryPressure.current()).toEqual({ softLimitBytes: 80 * MIB, retryAfterMs: 3000 });
    await b.processor.shutdown();
    expect(memoryPressure.current()).toEqual({ softLimitBytes: 80 * MIB, retryAfterMs: 1000 });
    await a.processor.shutdown();
    expect(memoryPressure.current()).toBeUndefined();
  });

  it("is a plain registry that tests can build their own of, and reset", () => {
    const pressure = new MemoryPressure();
    let above = true;
    const unregister = pressure.register({
      aboveSoftLimit: () => above,
      softLimitBytes: MIB,
      retryAfterMs: 500,
    });
    expect(pressure.current()).toEqual({ softLimitBytes: MIB, retryAfterMs: 500 });
    above = false;
    expect(pressure.isAboveSoftLimit()).toBe(false);
    above = true;
    unregister();
    expect(pressure.isAboveSoftLimit()).toBe(false);
    pressure.register({ aboveSoftLimit: () => true, softLimitBytes: MIB, retryAfterMs: 1 });
    pressure.reset();
    expect(pressure.isAboveSoftLimit()).toBe(false);
  });
});

describe("cgroup limit", () => {
  it("reads cgroup v2 memory.max, treating max and absurd values as no limit", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "tripline-cgroup-"));
    const file = path.join(dir, "memory.max");
    try {
      await writeFile(file, "536870912\n");
      expect(cgroupLimit([file])).toBe(512 * MIB);
      await writeFile(file, "max\n");
      expect(cgroupLimit([file])).toBeUndefined();
      await writeFile(file, String(totalmem() * 4));
      expect(cgroupLimit([file])).toBeUndefined();
      expect(cgroupLimit([path.join(dir, "missing"), file])).toBeUndefined();
      expect(cgroupLimit([path.join(dir, "missing")])).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
