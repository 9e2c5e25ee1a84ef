import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PermanentError, RetryableError } from "../../src/component/errors.js";
import { decodeLogsRequest } from "../../src/pdata/otlp-json.js";
import { logRecords } from "../helpers/records.js";
import { FakeSender, PreparingSender, retryable, startExporter, tick, until } from "./helpers.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tripline-delivery-"));
});
afterEach(async () => {
  vi.useRealTimers();
  await rm(dir, { recursive: true, force: true });
});

const fast = { initial_interval: 10, max_interval: 20, max_elapsed_time: "5s" };

describe("sending queue (memory)", () => {
  it("answers once the batch is queued, and counts it sent only when the backend confirmed", async () => {
    const sender = new FakeSender();
    sender.hold();
    const { exporter, telemetry } = await startExporter({}, sender);
    await exporter.consumers.logs!.consume(logRecords(3));
    await sender.waitForCalls(1);
    expect(telemetry.get("exporter/otlp_http/test/sent/logs")).toBe(0);
    expect(await telemetry.metric("tripline_exporter_queue_size")).toBe(1);
    sender.release();
    await until(() => telemetry.get("exporter/otlp_http/test/sent/logs") === 3);
    expect(await telemetry.metric("tripline_exporter_queue_size")).toBe(0);
    expect(await telemetry.metric("tripline_exporter_queue_capacity")).toBe(1000);
    await exporter.shutdown();
  });

  it("declares that it counts its own telemetry", async () => {
    const { exporter } = await startExporter({}, new FakeSender());
    expect(exporter.countsOwnTelemetry).toBe(true);
    await exporter.shutdown();
  });

  it("retries with exponential backoff until the backend accepts", async () => {
    vi.useFakeTimers();
    const start = Date.now();
    const sender = new FakeSender([retryable(), retryable(), retryable(), retryable()]);
    const { exporter, telemetry } = await startExporter(
      { retry_on_failure: { initial_interval: "100ms", max_interval: "400ms", multiplier: 2 } },
      sender,
    );
    await exporter.consumers.logs!.consume(logRecords(1));
    await vi.advanceTimersByTimeAsync(2000);
    expect(sender.calls.map((c) => c.at - start)).toEqual([0, 100, 300, 700, 1100]);
    expect(sender.delivered).toHaveLength(1);
    expect(await telemetry.metric("tripline_exporter_retries")).toBe(4);
    expect(telemetry.get("exporter/otlp_http/test/sent/logs")).toBe(1);
    await exporter.shutdown();
  });

  it("waits as long as Retry-After says instead of the backoff", async () => {
    vi.useFakeTimers();
    const start = Date.now();
    const sender = new FakeSender([retryable("429 too many requests", 2500)]);
    const { exporter } = await startExporter({ retry_on_failure: fast }, sender);
    await exporter.consumers.logs!.consume(logRecords(1));
    await vi.advanceTimersByTimeAsync(2499);
    expect(sender.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sender.calls.map((c) => c.at - start)).toEqual([0, 2500]);
    expect(sender.delivered).toHaveLength(1);
    await exporter.shutdown();
  });

  it("never retries a permanent error and writes the batch to the dead letter", async () => {
    const deadLetter = path.join(dir, "dead.jsonl");
    const sender = new FakeSender([new PermanentError("400 bad request: body too large")]);
    const { exporter, telemetry } = await startExporter(
      { retry_on_failure: fast, dead_letter: { path: deadLetter } },
      sender,
    );
    const records = logRecords(2);
    await exporter.consumers.logs!.consume(records);
    await until(() => telemetry.get("exporter/otlp_http/test/send_failed/logs") === 2);
    await exporter.shutdown();
    expect(sender.calls).toHaveLength(1);

    const lines = (await readFile(deadLetter, "utf8")).trim().split("\n");
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({
      exporter: "otlp_http/test",
      signal: "logs",
      reason: "permanent",
      error: "400 bad request: body too large",
    });
    expect(Date.parse(line.time)).not.toBeNaN();
    expect(decodeLogsRequest(line.request)).toEqual(records);
    expect(
      await telemetry.metric("tripline_exporter_dead_lettered_log_records", {
        reason: "permanent",
      }),
    ).toBe(2);
  });

  it("dead-letters a batch once retries are exhausted, into a per-exporter file in a directory", async () => {
    const sender = new FakeSender([], retryable());
    const { exporter, telemetry } = await startExporter(
      {
        retry_on_failure: { initial_interval: 10, max_interval: 10, max_elapsed_time: 35 },
        circuit_breaker: { enabled: false },
        dead_letter: { path: `${dir}/` },
      },
      sender,
    );
    await exporter.consumers.logs!.consume(logRecords(1));
    await until(() => telemetry.get("exporter/otlp_http/test/send_failed/logs") === 1);
    await exporter.shutdown();
    expect(sender.calls.length).toBeGreaterThanOrEqual(3);
    const file = path.join(dir, "otlp_http%2Ftest.deadletter.jsonl");
    const line = JSON.parse(await readFile(file, "utf8"));
    expect(line.reason).toBe("retries_exhausted");
    expect(line.error).toMatch(/no more retries left.*503 unavailable/);
  });

  it("logs and counts a failed batch when no dead letter is configured", async () => {
    const sender = new FakeSender([new PermanentError("401 unauthorized")]);
    const { exporter, telemetry, lines } = await startExporter({}, sender);
    await exporter.consumers.logs!.consume(logRecords(4));
    await until(() => telemetry.get("exporter/otlp_http/test/send_failed/logs") === 4);
    await exporter.shutdown();
    const error = lines.find((l) => l.level === 50);
    expect(error).toMatchObject({ items: 4, reason: "permanent", err: "401 unauthorized" });
    expect(
      await telemetry.metric("tripline_exporter_dropped_log_records", { reason: "permanent" }),
    ).toBe(4);
  });

  it("aborts a request that exceeds timeout, even if the sender ignores the abort", async () => {
    const sender = new FakeSender(["hang"]);
    const { exporter, telemetry } = await startExporter(
      { timeout: "50ms", retry_on_failure: fast },
      sender,
    );
    await exporter.consumers.logs!.consume(logRecords(1));
    await until(() => sender.delivered.length === 1);
    expect(sender.calls[0]!.abort.aborted).toBe(true);
    expect(sender.calls[0]!.abort.reason).toBeInstanceOf(RetryableError);
    expect(String(sender.calls[0]!.abort.reason.message)).toMatch(/timed out after 50 ms/);
    expect(telemetry.get("exporter/otlp_http/test/sent/logs")).toBe(1);
    await exporter.shutdown();
  });

  it("sends with num_consumers requests in flight at most", async () => {
    const sender = new FakeSender();
    sender.hold();
    const { exporter } = await startExporter({ sending_queue: { num_consumers: 3 } }, sender);
    for (let i = 0; i < 6; i++) await exporter.consumers.logs!.consume(logRecords(1));
    await sender.waitForCalls(3);
    await tick();
    expect(sender.calls).toHaveLength(3);
    expect(sender.maxInFlight).toBe(3);
    sender.release();
    await until(() => sender.delivered.length === 6);
    expect(sender.maxInFlight).toBe(3);
    await exporter.shutdown();
  });
});

describe("when the queue is full", () => {
  const full = (when_full: string) => ({
    sending_queue: { num_consumers: 1, queue_size: 2, when_full, block_timeout: "100ms" },
  });

  it("reject: refuses with a retryable error and counts enqueue_failed", async () => {
    const sender = new FakeSender();
    sender.hold();
    const { exporter, telemetry } = await startExporter(full("reject"), sender);
    const logs = exporter.consumers.logs!;
    await logs.consume(logRecords(1));
    await logs.consume(logRecords(1));
    const refused = logs.consume(logRecords(5));
    await expect(refused).rejects.toBeInstanceOf(RetryableError);
    await expect(refused).rejects.toThrow(/sending queue of "otlp_http\/test" is full \(2\/2/);
    expect(await telemetry.metric("tripline_exporter_enqueue_failed_log_records")).toBe(5);
    sender.release();
    await until(() => sender.delivered.length === 2);
    await logs.consume(logRecords(1)); // room again
    await exporter.shutdown();
  });

  it("block: waits for room, then queues", async () => {
    const sender = new FakeSender();
    sender.hold();
    const { exporter } = await startExporter(full("block"), sender);
    const logs = exporter.consumers.logs!;
    await logs.consume(logRecords(1));
    await logs.consume(logRecords(1));
    let queued = false;
    const third = logs.consume(logRecords(1)).then(() => {
      queued = true;
    });
    await tick();
    expect(queued).toBe(false);
    sender.release();
    await third;
    await until(() => sender.delivered.length === 3);
    await exporter.shutdown();
  });

  it("block: refuses after block_timeout", async () => {
    const sender = new FakeSender();
    sender.hold();
    const { exporter, telemetry } = await startExporter(full("block"), sender);
    const logs = exporter.consumers.logs!;
    await logs.consume(logRecords(1));
    await logs.consume(logRecords(1));
    await expect(logs.consume(logRecords(1))).rejects.toThrow(/no room within block_timeout/);
    expect(await telemetry.metric("tripline_exporter_enqueue_failed_log_records")).toBe(1);
    sender.release();
    await exporter.shutdown();
  });

  it("drop_oldest: drops the oldest queued batch (not the one in flight) and counts it", async () => {
    const sender = new FakeSender();
    sender.hold();
    const { exporter, telemetry } = await startExporter(
      { sending_queue: { num_consumers: 1, queue_size: 3, when_full: "drop_oldest" } },
      sender,
    );
    const logs = exporter.consumers.logs!;
    const [a, b, c, d] = [logRecords(1), logRecords(2), logRecords(3), logRecords(4)];
    await logs.consume(a);
    await sender.waitForCalls(1); // a is in flight
    await logs.consume(b);
    await logs.consume(c);
    await logs.consume(d);
    sender.release();
    await until(() => sender.delivered.length === 3);
    expect(sender.delivered).toEqual([a, c, d]);
    expect(
      await telemetry.metric("tripline_exporter_dropped_log_records", { reason: "queue_full" }),
    ).toBe(2);
    await exporter.shutdown();
  });

  it("sizer items: counts records, and refuses a batch larger than the whole queue as permanent", async () => {
    const sender = new FakeSender();
    sender.hold();
    const { exporter } = await startExporter(
      { sending_queue: { sizer: "items", queue_size: 5, num_consumers: 1 } },
      sender,
    );
    const logs = exporter.consumers.logs!;
    await logs.consume(logRecords(3));
    await expect(logs.consume(logRecords(3))).rejects.toBeInstanceOf(RetryableError);
    await logs.consume(logRecords(2));
    await expect(logs.consume(logRecords(6))).rejects.toBeInstanceOf(PermanentError);
    sender.release();
    await exporter.shutdown();
  });
});

describe("circuit breaker", () => {
  it("opens after consecutive failures, probes once after the cool-down, closes on success", async () => {
    vi.useFakeTimers();
    const start = Date.now();
    const sender = new FakeSender([retryable(), retryable(), retryable()]);
    const { exporter, lines } = await startExporter(
      {
        retry_on_failure: { initial_interval: "10ms", max_interval: "10ms" },
        circuit_breaker: { failure_threshold: 2, cool_down: "1s" },
        sending_queue: { num_consumers: 2 },
      },
      sender,
    );
    const logs = exporter.consumers.logs!;
    await logs.consume(logRecords(1));
    await logs.consume(logRecords(1));
    await vi.advanceTimersByTimeAsync(0);
    // Two failures at t=0 open the circuit: nothing goes out during the cool-down.
    expect(sender.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(999);
    expect(sender.calls).toHaveLength(2);
    // One probe at 1s; it fails, so the circuit opens for another second.
    await vi.advanceTimersByTimeAsync(1);
    expect(sender.calls).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(999);
    expect(sender.calls).toHaveLength(3);
    // The next probe succeeds and closes the circuit; the other batch follows at once.
    await vi.advanceTimersByTimeAsync(1);
    expect(sender.calls.map((c) => c.at - start)).toEqual([0, 0, 1000, 2000, 2000]);
    expect(sender.delivered).toHaveLength(2);
    const messages = lines.map((l) => l.msg);
    expect(messages).toContain("circuit open: pausing requests to the backend");
    expect(messages).toContain("circuit half-open: sending one probe request");
    expect(messages).toContain("circuit closed: backend is answering again");
    await exporter.shutdown();
  });

  it("keeps accepting into the queue while open, up to its size", async () => {
    vi.useFakeTimers();
    const sender = new FakeSender([], retryable());
    const { exporter } = await startExporter(
      {
        retry_on_failure: { initial_interval: "10ms", max_interval: "10ms" },
        circuit_breaker: { failure_threshold: 1, cool_down: "1m" },
        sending_queue: { num_consumers: 1, queue_size: 3 },
      },
      sender,
    );
    const logs = exporter.consumers.logs!;
    await logs.consume(logRecords(1));
    await vi.advanceTimersByTimeAsync(100);
    await logs.consume(logRecords(1));
    await logs.consume(logRecords(1));
    const refused = logs.consume(logRecords(1));
    await expect(refused).rejects.toBeInstanceOf(RetryableError);
    // The refusal tells the caller when the backend may be tried again.
    const hint = await refused.catch((e: RetryableError) => e.retryAfterMs);
    expect(hint).toBeGreaterThan(59_000);
    expect(sender.calls).toHaveLength(1);
    await exporter.shutdown(AbortSignal.abort());
  });
});

describe("isolation and shutdown", () => {
  it("a hanging backend does not delay another exporter", async () => {
    const dead = new FakeSender([], "hang");
    const alive = new FakeSender();
    const a = await startExporter({ timeout: "1h" }, dead, { id: "otlp_http/dead" });
    const b = await startExporter({}, alive, { id: "otlp_http/alive" });
    for (let i = 0; i < 20; i++) await a.exporter.consumers.logs!.consume(logRecords(1));
    await b.exporter.consumers.logs!.consume(logRecords(1));
    await until(() => alive.delivered.length === 1);
    await b.exporter.shutdown();
    await a.exporter.shutdown(AbortSignal.abort());
    expect(dead.delivered).toHaveLength(0);
  });

  it("memory queue: shutdown drains what is queued before returning", async () => {
    const sender = new FakeSender();
    sender.hold();
    const { exporter } = await startExporter({ sending_queue: { num_consumers: 1 } }, sender);
    for (let i = 0; i < 3; i++) await exporter.consumers.logs!.consume(logRecords(1));
    let stopped = false;
    const shutdown = exporter.shutdown().then(() => {
      stopped = true;
    });
    await expect(exporter.consumers.logs!.consume(logRecords(1))).rejects.toBeInstanceOf(
      RetryableError,
    );
    await tick();
    expect(stopped).toBe(false);
    sender.release();
    await shutdown;
    expect(sender.delivered).toHaveLength(3);
  });

  it("memory queue: at the deadline, logs and dead-letters what it could not deliver", async () => {
    const deadLetter = path.join(dir, "dead.jsonl");
    const sender = new FakeSender([], retryable());
    const { exporter, telemetry, lines } = await startExporter(
      { retry_on_failure: fast, dead_letter: { path: deadLetter } },
      sender,
    );
    for (let i = 0; i < 3; i++) await exporter.consumers.logs!.consume(logRecords(2));
    await exporter.shutdown(AbortSignal.timeout(50));
    expect(lines.find((l) => l.level === 50)).toMatchObject({
      batches: 3,
      items: 6,
      msg: "shutdown deadline reached before the sending queue drained",
    });
    const dead = (await readFile(deadLetter, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(dead.map((d) => d.reason)).toEqual(["shutdown", "shutdown", "shutdown"]);
    expect(
      await telemetry.metric("tripline_exporter_dead_lettered_log_records", { reason: "shutdown" }),
    ).toBe(6);
  });

  it("without a queue, the caller waits for the backend and gets its error", async () => {
    const sender = new FakeSender([retryable(), new PermanentError("422 invalid")]);
    const { exporter, telemetry } = await startExporter(
      { sending_queue: { enabled: false }, retry_on_failure: fast },
      sender,
    );
    await expect(exporter.consumers.logs!.consume(logRecords(2))).rejects.toThrow("422 invalid");
    expect(sender.calls).toHaveLength(2);
    expect(telemetry.get("exporter/otlp_http/test/send_failed/logs")).toBe(2);
    await exporter.consumers.logs!.consume(logRecords(1));
    expect(telemetry.get("exporter/otlp_http/test/sent/logs")).toBe(1);
    await exporter.shutdown();
  });

  it("refuses data before start", async () => {
    const { exporter } = await startExporter({}, new FakeSender(), { start: false });
    await expect(exporter.consumers.logs!.consume(logRecords(1))).rejects.toBeInstanceOf(
      RetryableError,
    );
  });
});

describe("senders that prepare their request (Sender.prepare)", () => {
  it("memory queue: the request is made as the batch is queued and resent as it is on retry", async () => {
    const sender = new PreparingSender([retryable()]);
    sender.hold();
    const { exporter, telemetry } = await startExporter({ retry_on_failure: fast }, sender);
    await exporter.consumers.logs!.consume(logRecords(3));
    expect(sender.prepares).toBe(1);
    sender.release();
    await until(() => telemetry.get("exporter/otlp_http/test/sent/logs") === 3);
    expect(sender.sentCalls).toBe(0);
    expect(sender.preparedCalls).toBe(2);
    expect(sender.calls[1]!.batch).toBe(sender.calls[0]!.batch);
    expect(sender.delivered).toEqual([{ encoded: "0,1,2" }]);
    expect(sender.recycled).toEqual(sender.delivered);
    expect(await telemetry.metric("tripline_exporter_retries")).toBe(1);
    await exporter.shutdown();
  });

  it("a failed request is logged and counted in items; so is one left at the shutdown deadline", async () => {
    const sender = new PreparingSender([new PermanentError("401 unauthorized")], retryable());
    const { exporter, telemetry, lines } = await startExporter(
      { retry_on_failure: fast, sending_queue: { num_consumers: 1 } },
      sender,
    );
    await exporter.consumers.logs!.consume(logRecords(4));
    await until(() => telemetry.get("exporter/otlp_http/test/send_failed/logs") === 4);
    for (let i = 0; i < 3; i++) await exporter.consumers.logs!.consume(logRecords(2));
    await exporter.shutdown(AbortSignal.timeout(50));
    expect(lines.filter((l) => l.level === 50)).toMatchObject([
      { items: 4, reason: "permanent", err: "401 unauthorized" },
      { batches: 3, items: 6, msg: "shutdown deadline reached before the sending queue drained" },
      { items: 2, reason: "shutdown" },
      { items: 2, reason: "shutdown" },
      { items: 2, reason: "shutdown" },
    ]);
    expect(
      await telemetry.metric("tripline_exporter_dropped_log_records", { reason: "permanent" }),
    ).toBe(4);
    expect(
      await telemetry.metric("tripline_exporter_dropped_log_records", { reason: "shutdown" }),
    ).toBe(6);
    expect(sender.sentCalls).toBe(0);
    expect(sender.recycled).toHaveLength(4);
    expect(new Set(sender.recycled).size).toBe(4);
  });

  it("hands back the request of a batch dropped by drop_oldest or refused by the queue", async () => {
    const sender = new PreparingSender();
    sender.hold();
    const { exporter, telemetry } = await startExporter(
      {
        sending_queue: {
          num_consumers: 1,
          queue_size: 6,
          sizer: "items",
          when_full: "drop_oldest",
        },
      },
      sender,
    );
    const logs = exporter.consumers.logs!;
    await logs.consume(logRecords(1));
    await sender.waitForCalls(1); // in flight: not dropped
    await logs.consume(logRecords(2));
    await logs.consume(logRecords(3));
    await logs.consume(logRecords(4)); // pushes out the batch of 2, then the batch of 3
    expect(sender.recycled.map((r) => r.encoded)).toEqual(["0,1", "0,1,2"]);
    expect(await telemetry.metric("tripline_exporter_queue_size")).toBe(5);
    await expect(logs.consume(logRecords(7))).rejects.toThrow(/exceeds the sending queue/);
    sender.release();
    await until(() => sender.delivered.length === 2);
    await exporter.shutdown();
    expect(sender.recycled.map((r) => r.encoded)).toEqual([
      "0,1",
      "0,1,2",
      "0,1,2,3,4,5,6",
      "0",
      "0,1,2,3",
    ]);
    expect(
      await telemetry.metric("tripline_exporter_dropped_log_records", { reason: "queue_full" }),
    ).toBe(5);
  });

  it("with a dead letter the queue keeps the records, which the dead letter writes", async () => {
    const deadLetter = path.join(dir, "dead.jsonl");
    const sender = new PreparingSender([new PermanentError("400 bad request")]);
    const { exporter, telemetry } = await startExporter(
      { dead_letter: { path: deadLetter } },
      sender,
    );
    const records = logRecords(2);
    await exporter.consumers.logs!.consume(records);
    await until(() => telemetry.get("exporter/otlp_http/test/send_failed/logs") === 2);
    await exporter.shutdown();
    expect(sender.prepares).toBe(0);
    expect(sender.calls[0]!.batch).toBe(records);
    const line = JSON.parse(await readFile(deadLetter, "utf8"));
    expect(decodeLogsRequest(line.request)).toEqual(records);
  });

  it("the persistent queue and a sender without a queue send the records", async () => {
    for (const sending_queue of [{ storage: dir }, { enabled: false }]) {
      const sender = new PreparingSender();
      const { exporter, telemetry } = await startExporter({ sending_queue }, sender, {
        configDir: dir,
      });
      await exporter.consumers.logs!.consume(logRecords(2));
      await until(() => telemetry.get("exporter/otlp_http/test/sent/logs") === 2);
      await exporter.shutdown();
      expect(sender.prepares).toBe(0);
      expect(sender.preparedCalls).toBe(0);
      expect(sender.sentCalls).toBe(1);
    }
  });

  it("a batch that cannot be prepared is queued as it is, and send meets the error", async () => {
    const sender = new PreparingSender([new PermanentError("cannot encode")]);
    sender.failPrepare = new PermanentError("cannot encode");
    const { exporter, telemetry, lines } = await startExporter({}, sender);
    const records = logRecords(2);
    await exporter.consumers.logs!.consume(records);
    await until(() => telemetry.get("exporter/otlp_http/test/send_failed/logs") === 2);
    await exporter.shutdown();
    expect(sender.calls.map((c) => c.batch)).toEqual([records]);
    expect(lines.find((l) => l.level === 50)).toMatchObject({ items: 2, err: "cannot encode" });
  });
});
