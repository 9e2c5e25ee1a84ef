import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PermanentError, RetryableError } from "../../src/component/errors.js";
import { encodeBatch } from "../../src/exporterhelper/codec.js";
import type { LogRecord } from "../../src/pdata/logs.js";
import { logRecord, logRecords } from "../helpers/records.js";
import { FakeSender, retryable, startExporter, until } from "./helpers.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tripline-queue-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const queueDir = () => path.join(dir, "queue", encodeURIComponent("otlp_http/test"));
const segments = async () => (await readdir(queueDir())).filter((n) => n.startsWith("seg-")).sort();
const persistent = (extra: Record<string, unknown> = {}) => ({
  timeout: "100ms",
  sending_queue: { storage: "queue", num_consumers: 1, ...extra },
  retry_on_failure: { initial_interval: 10, max_interval: 10 },
});

/** Records whose values only survive an exact codec: 64-bit ns times, bigint, bytes. */
function awkward(i: number): LogRecord {
  return logRecord({
    time: 1_795_165_200_123_456_789n + BigInt(i),
    attributes: { i, big: 9_007_199_254_740_993n, raw: new Uint8Array([0, 255, i]) },
    traceId: "0123456789abcdef0123456789abcdef",
  });
}

describe("persistent queue", () => {
  it("keeps what a crashed instance accepted and sends it first on the next start", async () => {
    const hung = new FakeSender([], "hang");
    const first = await startExporter(persistent(), hung, { configDir: dir });
    const batches = [[awkward(1)], [awkward(2), awkward(3)], [awkward(4)]];
    for (const batch of batches) await first.exporter.consumers.logs!.consume(batch);
    // Crash: the first instance is dropped without shutdown.

    const sender = new FakeSender();
    sender.hold();
    const second = await startExporter(persistent(), sender, { configDir: dir });
    await second.exporter.consumers.logs!.consume([awkward(5)]);
    sender.release();
    await until(() => sender.delivered.length === 4);
    expect(sender.delivered).toEqual([...batches, [awkward(5)]]);
    expect(second.lines.map((l) => l.msg)).toContain(
      "persistent queue: resending batches left by the previous run",
    );
    await second.exporter.shutdown();
  });

  it("forgets a batch once the backend confirmed it", async () => {
    const sender = new FakeSender();
    const first = await startExporter(persistent(), sender, { configDir: dir });
    await first.exporter.consumers.logs!.consume(logRecords(2));
    await until(() => sender.delivered.length === 1);
    await until(async () => {
      const text = await readFile(path.join(queueDir(), "acks.json"), "utf8").catch(() => "");
      return text !== "" && JSON.parse(text).live.length === 0;
    });
    // Crash after the confirmation was recorded: nothing is sent twice.
    const again = new FakeSender();
    const second = await startExporter(persistent(), again, { configDir: dir });
    await second.exporter.shutdown();
    expect(again.calls).toHaveLength(0);
  });

  it("deletes segment files once every record in them is confirmed", async () => {
    const sender = new FakeSender();
    const { exporter } = await startExporter(persistent(), sender, {
      configDir: dir,
      segmentBytes: 1,
    });
    for (let i = 0; i < 5; i++) {
      await exporter.consumers.logs!.consume(logRecords(1));
      await until(() => sender.delivered.length === i + 1);
    }
    await until(async () => (await segments()).length <= 1);
    await exporter.shutdown();
    const second = await startExporter(persistent(), new FakeSender(), { configDir: dir });
    await second.exporter.shutdown();
    expect(await segments()).toEqual([]);
  });

  it("on shutdown stops at once and keeps the undelivered batches for the next start", async () => {
    const failing = new FakeSender([], retryable());
    const first = await startExporter(persistent(), failing, { configDir: dir });
    const batches = [logRecords(1), logRecords(2)];
    for (const batch of batches) await first.exporter.consumers.logs!.consume(batch);
    await failing.waitForCalls(1);
    await first.exporter.shutdown();
    expect(failing.delivered).toHaveLength(0);

    const sender = new FakeSender();
    const second = await startExporter(persistent(), sender, { configDir: dir });
    await until(() => sender.delivered.length === 2);
    expect(sender.delivered).toEqual(batches);
    await second.exporter.shutdown();
  });

  it("recovers the intact records before a truncated tail, cuts it off and logs it", async () => {
    const first = await startExporter(persistent(), new FakeSender([], "hang"), {
      configDir: dir,
    });
    const batches = [[awkward(1)], [awkward(2)], [awkward(3)]];
    for (const batch of batches) await first.exporter.consumers.logs!.consume(batch);
    const [segment] = await segments();
    const file = path.join(queueDir(), segment!);
    const size = (await stat(file)).size;
    await truncate(file, size - 5); // the last record was cut short by a crash

    const sender = new FakeSender();
    sender.hold();
    const second = await startExporter(persistent(), sender, { configDir: dir });
    const warning = second.lines.find((l) => l.level === 40);
    expect(warning).toMatchObject({
      msg: "persistent queue: truncated or damaged segment tail cut off",
      segment,
      records_kept: 3 - 1,
    });
    expect(warning!.discarded_bytes).toBeGreaterThan(0);
    expect((await stat(file)).size).toBe(warning!.offset);
    sender.release();
    await until(() => sender.delivered.length === 2);
    expect(sender.delivered).toEqual(batches.slice(0, 2));
    await second.exporter.shutdown();
  });

  it("detects a damaged record by its CRC", async () => {
    const first = await startExporter(persistent(), new FakeSender([], "hang"), {
      configDir: dir,
    });
    for (let i = 0; i < 3; i++) await first.exporter.consumers.logs!.consume([awkward(i)]);
    const [segment] = await segments();
    const file = path.join(queueDir(), segment!);
    const data = await readFile(file);
    data[data.length - 10]! ^= 0xff; // flip bits inside the last record's payload
    await writeFile(file, data);

    const sender = new FakeSender();
    const second = await startExporter(persistent(), sender, { configDir: dir });
    await until(() => sender.delivered.length === 2);
    expect(sender.delivered).toEqual([[awkward(0)], [awkward(1)]]);
    expect(second.lines.some((l) => l.level === 40)).toBe(true);
    await second.exporter.shutdown();
  });

  it.each(["always", "interval", "never"])("works with fsync: %s", async (fsync) => {
    const first = await startExporter(
      persistent({ fsync, fsync_interval: "10ms" }),
      new FakeSender([], "hang"),
      { configDir: dir },
    );
    await first.exporter.consumers.logs!.consume([awkward(7)]);
    await first.exporter.consumers.metrics!.consume([
      {
        name: "detections",
        data: {
          type: "sum",
          temporality: "delta",
          monotonic: true,
          points: [{ attributes: { rule: "r1" }, startTime: 1n, time: 2n, value: 3 }],
        },
        resource: { attributes: { "service.name": "tripline" } },
        scope: { name: "count" },
      },
    ]);
    const sender = new FakeSender();
    const second = await startExporter(persistent({ fsync }), sender, { configDir: dir });
    await until(() => sender.delivered.length === 2);
    expect(sender.calls.map((c) => c.signal)).toEqual(["logs", "metrics"]);
    expect(sender.delivered[0]).toEqual([awkward(7)]);
    await second.exporter.shutdown();
  });

  it("is bounded by queue_size and max_bytes", async () => {
    const { exporter } = await startExporter(
      persistent({ queue_size: 2 }),
      new FakeSender([], "hang"),
      { configDir: dir },
    );
    await exporter.consumers.logs!.consume(logRecords(1));
    await exporter.consumers.logs!.consume(logRecords(1));
    await expect(exporter.consumers.logs!.consume(logRecords(1))).rejects.toBeInstanceOf(
      RetryableError,
    );
    await exporter.shutdown();

    await rm(dir, { recursive: true });
    // Room for three stored one-record batches and half of a fourth.
    const one = encodeBatch("logs", logRecords(1)).length;
    const small = await startExporter(
      persistent({ max_bytes: Math.floor(3.5 * one) }),
      new FakeSender([], "hang"),
      { configDir: dir },
    );
    const logs = small.exporter.consumers.logs!;
    await logs.consume(logRecords(1));
    await logs.consume(logRecords(1));
    await logs.consume(logRecords(1));
    await expect(logs.consume(logRecords(1))).rejects.toThrow(/is full/);
    await expect(logs.consume(logRecords(10))).rejects.toBeInstanceOf(PermanentError);
    await small.exporter.shutdown();
  });
});
