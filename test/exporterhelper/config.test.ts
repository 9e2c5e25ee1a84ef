import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Backoff } from "../../src/exporterhelper/backoff.js";
import { exporterHelperFields, exporterHelperSchema } from "../../src/exporterhelper/config.js";

describe("exporterhelper config", () => {
  it("fills in the Collector's defaults", () => {
    expect(exporterHelperSchema.parse({})).toEqual({
      timeout: 5000,
      retry_on_failure: {
        enabled: true,
        initial_interval: 5000,
        max_interval: 30_000,
        multiplier: 1.5,
        randomization_factor: 0.5,
        max_elapsed_time: 300_000,
      },
      sending_queue: {
        enabled: true,
        num_consumers: 10,
        queue_size: 1000,
        sizer: "requests",
        when_full: "reject",
        block_timeout: 5000,
        fsync: "interval",
        fsync_interval: 1000,
        max_bytes: 0,
      },
      circuit_breaker: { enabled: true, failure_threshold: 5, cool_down: 30_000 },
    });
  });

  it("spreads into an exporter's own schema", () => {
    const schema = z.strictObject({ endpoint: z.string(), ...exporterHelperFields });
    const parsed = schema.parse({
      endpoint: "https://x",
      sending_queue: { storage: "./queue", fsync: "always", when_full: "block" },
      dead_letter: { path: "./dead" },
    });
    expect(parsed.sending_queue.storage).toBe("./queue");
    expect(parsed.sending_queue.num_consumers).toBe(10);
    expect(parsed.dead_letter).toEqual({ path: "./dead" });
  });

  it("rejects unknown keys, bad enums and inconsistent intervals, on the right path", () => {
    const bad = [
      [{ sending_queue: { queue_sise: 10 } }, ["sending_queue"]],
      [{ sending_queue: { when_full: "drop" } }, ["sending_queue", "when_full"]],
      [{ sending_queue: { fsync: "sometimes" } }, ["sending_queue", "fsync"]],
      [{ sending_queue: { num_consumers: 0 } }, ["sending_queue", "num_consumers"]],
      [{ retry_on_failure: { multiplier: 0.5 } }, ["retry_on_failure", "multiplier"]],
      [
        { retry_on_failure: { randomization_factor: 2 } },
        ["retry_on_failure", "randomization_factor"],
      ],
      [
        { retry_on_failure: { initial_interval: "1m", max_interval: "1s" } },
        ["retry_on_failure", "max_interval"],
      ],
      [{ dead_letter: {} }, ["dead_letter", "path"]],
      [{ circuit_breaker: { cool_down: "soon" } }, ["circuit_breaker", "cool_down"]],
    ] as const;
    for (const [config, path] of bad) {
      const result = exporterHelperSchema.safeParse(config);
      expect(result.success, JSON.stringify(config)).toBe(false);
      expect(result.error?.issues[0]?.path, JSON.stringify(config)).toEqual(path);
    }
  });

  it("documents every option", () => {
    const walk = (schema: z.ZodType, at: string) => {
      const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape;
      if (!shape) return;
      for (const [key, field] of Object.entries(shape)) {
        expect(field.description, `${at}${key}`).toBeTruthy();
        let inner: z.ZodType = field;
        for (;;) {
          const def = (inner as unknown as { def: { innerType?: z.ZodType; in?: z.ZodType } }).def;
          const next = def.innerType ?? def.in;
          if (!next) break;
          inner = next;
        }
        walk(inner, `${at}${key}.`);
      }
    };
    walk(exporterHelperSchema, "");
  });
});

describe("backoff", () => {
  const retry = exporterHelperSchema.parse({
    retry_on_failure: { initial_interval: 100, max_interval: 400, multiplier: 2 },
  }).retry_on_failure;

  it("grows by the multiplier up to max_interval", () => {
    const backoff = new Backoff(retry, () => 0.5);
    expect([1, 2, 3, 4, 5].map(() => backoff.next())).toEqual([100, 200, 400, 400, 400]);
  });

  it("draws each wait within interval × (1 ± randomization_factor)", () => {
    const low = new Backoff(retry, () => 0);
    const high = new Backoff(retry, () => 0.999999);
    expect([low.next(), low.next(), low.next()]).toEqual([50, 100, 200]);
    expect([high.next(), high.next(), high.next()]).toEqual([150, 300, 600]);
  });
});
