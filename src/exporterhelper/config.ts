import { z } from "zod";
import { duration } from "../config/duration.js";

const retryOnFailureSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe("retry a batch the backend refused temporarily"),
    initial_interval: duration.prefault("5s").describe("wait before the first retry"),
    max_interval: duration.prefault("30s").describe("upper limit on the wait between retries"),
    multiplier: z
      .number()
      .min(1)
      .default(1.5)
      .describe("factor the wait grows by after each retry"),
    randomization_factor: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe("jitter: each wait is drawn from interval × (1 ± randomization_factor)"),
    max_elapsed_time: duration
      .prefault("300s")
      .describe("give up on a batch after this long since its first attempt; 0 retries forever"),
  })
  .refine((c) => c.max_interval >= c.initial_interval, {
    path: ["max_interval"],
    message: "max_interval must be >= initial_interval",
  });

const sendingQueueSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .describe(
      "queue batches and answer the caller once queued; false sends while the caller waits",
    ),
  num_consumers: z
    .number()
    .int()
    .min(1)
    .default(10)
    .describe("how many batches are sent to the backend concurrently"),
  queue_size: z
    .number()
    .int()
    .min(1)
    .default(1000)
    .describe("capacity of the queue, in `sizer` units"),
  sizer: z
    .enum(["requests", "items"])
    .default("requests")
    .describe("what queue_size counts: batches (requests) or log records / metric points (items)"),
  when_full: z
    .enum(["reject", "block", "drop_oldest"])
    .default("reject")
    .describe(
      "when the queue is full: reject (the caller gets a retryable error, receivers answer " +
        "429/503), block (wait for room up to block_timeout), drop_oldest (drop the oldest " +
        "queued batch and count it)",
    ),
  block_timeout: duration
    .prefault("5s")
    .describe("with when_full: block, how long a caller waits for room before it is refused"),
  storage: z
    .string()
    .min(1)
    .optional()
    .describe(
      "directory for a persistent queue (relative to the config file); each exporter uses its " +
        "own subdirectory. Unset: the queue is in memory",
    ),
  fsync: z
    .enum(["always", "interval", "never"])
    .default("interval")
    .describe(
      "persistent queue: when written batches are forced to disk. always: before the caller is " +
        "answered; interval: every fsync_interval; never: left to the operating system",
    ),
  fsync_interval: duration
    .prefault("1s")
    .describe("persistent queue with fsync: interval, how often data is forced to disk"),
  max_bytes: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe("persistent queue: upper limit on bytes of queued data on disk; 0 means no limit"),
});

const deadLetterSchema = z.strictObject({
  path: z
    .string()
    .min(1)
    .describe(
      "file, or directory (existing, or ending in /), that receives batches which could not be " +
        "delivered, one JSON line each",
    ),
});

const circuitBreakerSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .describe("stop calling a backend that keeps failing, and probe it after a cool-down"),
  failure_threshold: z
    .number()
    .int()
    .min(1)
    .default(5)
    .describe("consecutive failed requests that open the circuit"),
  cool_down: duration
    .prefault("30s")
    .describe("how long the circuit stays open before one probe request is let through"),
});

/**
 * The Collector's exporterhelper options, shared by every network exporter. Spread
 * `exporterHelperFields` into an exporter's schema so the names and defaults are identical.
 */
export const exporterHelperFields = {
  timeout: duration.prefault("5s").describe("time limit for one request to the backend"),
  retry_on_failure: retryOnFailureSchema
    .prefault({})
    .describe("exponential backoff with jitter for temporary failures"),
  sending_queue: sendingQueueSchema
    .prefault({})
    .describe("buffers batches between the pipeline and the backend, in memory or on disk"),
  dead_letter: deadLetterSchema
    .optional()
    .describe("where undeliverable batches are written; unset: they are logged and counted"),
  circuit_breaker: circuitBreakerSchema
    .prefault({})
    .describe("pauses requests to a failing backend"),
};

export const exporterHelperSchema = z.strictObject(exporterHelperFields);
export type ExporterHelperConfig = z.output<typeof exporterHelperSchema>;
export type RetryConfig = ExporterHelperConfig["retry_on_failure"];
export type QueueConfig = ExporterHelperConfig["sending_queue"];
export type CircuitBreakerConfig = ExporterHelperConfig["circuit_breaker"];
