import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Consumer } from "../../../src/component/component.js";
import { PermanentError, RetryableError } from "../../../src/component/errors.js";
import { memoryPressure } from "../../../src/component/memory-pressure.js";
import type { LogBatch } from "../../../src/pdata/logs.js";
import { fileReceiverConfigSchema } from "../../../src/receivers/file/config.js";
import { fileReceiverFactory } from "../../../src/receivers/file/factory.js";
import type { FileReceiver } from "../../../src/receivers/file/receiver.js";
import { noopHost, testContext } from "../../helpers/context.js";

/** Accepts batches, or refuses with whatever `refusals` holds first (one refusal per call). */
class Sink implements Consumer<LogBatch> {
  readonly batches: LogBatch[] = [];
  refusals: Error[] = [];
  calls = 0;
  async consume(batch: LogBatch): Promise<void> {
    this.calls++;
    const refusal = this.refusals.shift();
    if (refusal) throw refusal;
    this.batches.push(batch);
  }
  ids(): unknown[] {
    return this.batches.flat().map((r) => (r.body as Record<string, unknown>).id);
  }
}

const receivers: FileReceiver[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.shutdown();
  memoryPressure.reset();
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "tripline-file-"));
}

async function start(dir: string, config: Record<string, unknown>, sink = new Sink()) {
  const ctx = testContext("file", dir);
  const parsed = fileReceiverConfigSchema.parse({
    include: ["*.ndjson"],
    poll_interval: "1h",
    ...config,
  });
  const receiver = fileReceiverFactory.create(ctx, parsed, { logs: sink }) as FileReceiver;
  await receiver.start(noopHost);
  receivers.push(receiver);
  return { receiver, sink, ctx };
}

async function stop(receiver: FileReceiver): Promise<void> {
  receivers.splice(receivers.indexOf(receiver), 1);
  await receiver.shutdown();
}

const lines = (...ids: number[]) => ids.map((id) => `{"id":${id}}\n`).join("");

describe("file receiver config", () => {
  it("has the Collector-like defaults and documents every option", () => {
    const config = fileReceiverConfigSchema.parse({ include: ["/var/log/*.ndjson"] });
    expect(config).toMatchObject({
      exclude: [],
      start_at: "end",
      poll_interval: 200,
      max_line_size: 1024 * 1024,
      max_batch: 1000,
      fingerprint_size: 1000,
      retry_on_failure: { initial_interval: 1000, max_interval: 30_000 },
    });
    expect(fileReceiverConfigSchema.safeParse({ include: [] }).success).toBe(false);
    const shape = fileReceiverConfigSchema.shape;
    for (const key of Object.keys(shape) as (keyof typeof shape)[]) {
      expect(shape[key].description, key).toBeTruthy();
    }
  });
});

describe("file receiver: where reading starts", () => {
  it("start_at end skips what was there at startup but reads files that appear later", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a.ndjson"), lines(1, 2));
    const { receiver, sink } = await start(dir, {});
    await receiver.pollNow();
    expect(sink.ids()).toEqual([]);
    appendFileSync(join(dir, "a.ndjson"), lines(3, 4));
    writeFileSync(join(dir, "b.ndjson"), lines(10));
    await receiver.pollNow();
    expect(sink.ids()).toEqual([3, 4, 10]);
  });

  it("start_at beginning reads everything, one record per line with the file name", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a.ndjson"), `${lines(1, 2)}\n\r\n${lines(3)}`);
    const { receiver, sink } = await start(dir, { start_at: "beginning" });
    await receiver.pollNow();
    expect(sink.ids()).toEqual([1, 2, 3]);
    const record = sink.batches[0]![0]!;
    expect(record.attributes).toEqual({ "log.file.name": "a.ndjson" });
    expect(record.observedTime).toBeGreaterThan(0n);
  });

  it("holds a partial last line until its newline arrives", async () => {
    const dir = tempDir();
    const file = join(dir, "a.ndjson");
    writeFileSync(file, "");
    const { receiver, sink } = await start(dir, { start_at: "beginning" });
    appendFileSync(file, '{"id":1}\n{"id":');
    await receiver.pollNow();
    expect(sink.ids()).toEqual([1]);
    await receiver.pollNow();
    expect(sink.ids()).toEqual([1]);
    appendFileSync(file, '2, "more": true}\n');
    await receiver.pollNow();
    expect(sink.ids()).toEqual([1, 2]);
  });

  it("batches up to max_batch lines per consume", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a.ndjson"), lines(1, 2, 3, 4, 5));
    const { receiver, sink } = await start(dir, { start_at: "beginning", max_batch: 2 });
    await receiver.pollNow();
    expect(sink.batches.map((b) => b.length)).toEqual([2, 2, 1]);
  });
});

describe("file receiver: globs", () => {
  it("reads included files and leaves excluded ones alone", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "a.ndjson"), lines(1));
    writeFileSync(join(dir, "skip.ndjson"), lines(2));
    writeFileSync(join(dir, "sub", "c.ndjson"), lines(3));
    writeFileSync(join(dir, "other.log"), lines(4));
    const { receiver, sink } = await start(dir, {
      include: ["*.ndjson", join(dir, "sub/*.ndjson")],
      exclude: ["skip.ndjson"],
      start_at: "beginning",
      include_file_path: true,
    });
    await receiver.pollNow();
    expect(sink.ids().sort()).toEqual([1, 3]);
    const paths = sink.batches.flat().map((r) => r.attributes["log.file.path"]);
    expect(paths.sort()).toEqual([join(dir, "a.ndjson"), join(dir, "sub", "c.ndjson")]);
  });
});

describe("file receiver: rotation", () => {
  it("rename + create: finishes the old file through its handle, then reads the new one", async () => {
    const dir = tempDir();
    const file = join(dir, "app.ndjson");
    writeFileSync(file, lines(1, 2));
    const { receiver, sink } = await start(dir, { start_at: "beginning" });
    await receiver.pollNow();
    appendFileSync(file, lines(3));
    renameSync(file, join(dir, "app.ndjson.1"));
    // A writer that has not reopened yet still appends to the renamed file.
    appendFileSync(join(dir, "app.ndjson.1"), `${lines(4)}{"id":5}`);
    writeFileSync(file, lines(6, 7));
    await receiver.pollNow();
    expect(sink.ids()).toEqual([1, 2, 3, 4, 6, 7]);
    // Kept one more poll for late writes, then let go, with the unterminated last line.
    await receiver.pollNow();
    await receiver.pollNow();
    expect(sink.ids()).toEqual([1, 2, 3, 4, 6, 7, 5]);
    appendFileSync(file, lines(8));
    await receiver.pollNow();
    expect(sink.ids()).toEqual([1, 2, 3, 4, 6, 7, 5, 8]);
  });

  it("copytruncate: a file that shrank is read again from the start", async () => {
    const dir = tempDir();
    const file = join(dir, "app.ndjson");
    writeFileSync(file, lines(1, 2, 3));
    const { receiver, sink } = await start(dir, { start_at: "beginning" });
    await receiver.pollNow();
    copyFileSync(file, join(dir, "app.ndjson.1"));
    truncateSync(file, 0);
    appendFileSync(file, lines(4));
    await receiver.pollNow();
    expect(sink.ids()).toEqual([1, 2, 3, 4]);
  });

  it("copytruncate: a file rewritten past the old offset is caught by its fingerprint", async () => {
    const dir = tempDir();
    const file = join(dir, "app.ndjson");
    writeFileSync(file, lines(1));
    const { receiver, sink } = await start(dir, { start_at: "beginning" });
    await receiver.pollNow();
    truncateSync(file, 0);
    appendFileSync(file, lines(20, 21, 22));
    await receiver.pollNow();
    expect(sink.ids()).toEqual([1, 20, 21, 22]);
  });
});

describe("file receiver: tailing on its own timer", () => {
  it("delivers every line exactly once while the writer rotates twice", async () => {
    const dir = tempDir();
    const file = join(dir, "app.ndjson");
    writeFileSync(file, "");
    const { sink } = await start(dir, { poll_interval: "5ms" });
    const tick = () => new Promise((resolve) => setTimeout(resolve, 2));
    for (let id = 1; id <= 60; id++) {
      appendFileSync(file, lines(id));
      if (id % 20 === 0) {
        renameSync(file, join(dir, `app.ndjson.${id}`));
        writeFileSync(file, "");
      }
      await tick();
    }
    const deadline = Date.now() + 3000;
    while (sink.ids().length < 60 && Date.now() < deadline) await tick();
    const ids = sink.ids() as number[];
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });
});

describe("file receiver: checkpoints", () => {
  it("restarts mid-file from the checkpoint with no loss and no repeats", async () => {
    const dir = tempDir();
    const file = join(dir, "app.ndjson");
    writeFileSync(file, lines(1, 2, 3, 4, 5));
    const first = await start(dir, { start_at: "beginning", storage: "state", max_batch: 2 });
    // Two batches accepted, then the pipeline refuses: lines 5.. stay unread.
    first.sink.refusals = [];
    const consume = first.sink.consume.bind(first.sink);
    first.sink.consume = async (batch) => {
      if (first.sink.batches.length >= 2) throw new RetryableError("queue full");
      return consume(batch);
    };
    await first.receiver.pollNow();
    expect(first.sink.ids()).toEqual([1, 2, 3, 4]);
    await stop(first.receiver);

    appendFileSync(file, lines(6, 7));
    const second = await start(dir, { start_at: "beginning", storage: "state" });
    await second.receiver.pollNow();
    expect(second.sink.ids()).toEqual([5, 6, 7]);
    await stop(second.receiver);

    // start_at does not override a checkpoint: nothing new, nothing read.
    const third = await start(dir, { start_at: "beginning", storage: "state" });
    await third.receiver.pollNow();
    expect(third.sink.ids()).toEqual([]);
    const saved = JSON.parse(readFileSync(join(dir, "state", "file.checkpoints.json"), "utf8"));
    expect(saved.files[0]).toMatchObject({ offset: readFileSync(file).length, line: 8 });
  });

  it("does not trust a checkpoint whose file was replaced", async () => {
    const dir = tempDir();
    const file = join(dir, "app.ndjson");
    writeFileSync(file, lines(1, 2));
    const first = await start(dir, { start_at: "beginning", storage: "state" });
    await first.receiver.pollNow();
    await stop(first.receiver);
    // Same inode, different content: the fingerprint no longer matches.
    writeFileSync(file, lines(30, 31, 32));
    const second = await start(dir, { start_at: "beginning", storage: "state" });
    await second.receiver.pollNow();
    expect(second.sink.ids()).toEqual([30, 31, 32]);
  });
});

describe("file receiver: refusals and bad lines", () => {
  it("pauses on a retryable refusal and offers the same lines again, never skipping", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a.ndjson"), lines(1, 2, 3));
    const sink = new Sink();
    sink.refusals = [new RetryableError("memory limit"), new RetryableError("queue full")];
    const { receiver, ctx } = await start(
      dir,
      { start_at: "beginning", max_batch: 2, retry_on_failure: { initial_interval: "1h" } },
      sink,
    );
    await receiver.pollNow();
    expect(sink.ids()).toEqual([]);
    await receiver.pollNow();
    expect(sink.ids()).toEqual([]);
    await receiver.pollNow();
    expect(sink.ids()).toEqual([1, 2, 3]);
    expect(sink.calls).toBe(4);
    expect(ctx.telemetry.get("receiver/file/refused/logs")).toBe(4);
    expect(ctx.telemetry.get("receiver/file/accepted/logs")).toBe(3);
  });

  it("reads no line while memory is under pressure, then resumes from the same offset", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a.ndjson"), lines(1, 2, 3));
    let above = true;
    memoryPressure.register({
      aboveSoftLimit: () => above,
      softLimitBytes: 80 * 1024 * 1024,
      retryAfterMs: 1000,
    });
    const { receiver, sink, ctx } = await start(dir, { start_at: "beginning" });
    await receiver.pollNow();
    await receiver.pollNow();
    // Nothing was read, so nothing reached the pipeline nor counts as refused.
    expect(sink.calls).toBe(0);
    expect(ctx.telemetry.get("receiver/file/refused/logs") ?? 0).toBe(0);
    above = false;
    await receiver.pollNow();
    expect(sink.ids()).toEqual([1, 2, 3]);
  });

  it("dead-letters invalid, non-object, too deep and too long lines with file and line", async () => {
    const dir = tempDir();
    const file = join(dir, "a.ndjson");
    const long = `{"id":99,"pad":"${"x".repeat(300)}"}`;
    writeFileSync(
      file,
      [lines(1), "{nope\n", "[1,2]\n", '{"a":{"b":{"c":1}}}\n', `${long}\n`, lines(2)].join(""),
    );
    const { receiver, sink, ctx } = await start(dir, {
      start_at: "beginning",
      max_line_size: 200,
      max_depth: 2,
      dead_letter: { path: "dead.jsonl" },
    });
    await receiver.pollNow();
    expect(sink.ids()).toEqual([1, 2]);
    const dead = readFileSync(join(dir, "dead.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(dead.map((d) => [d.line, d.file])).toEqual([
      [5, file],
      [2, file],
      [3, file],
      [4, file],
    ]);
    expect(dead[0].error).toBe("line longer than max_line_size 200 bytes");
    expect(dead[0].raw).toBe(long.slice(0, 200));
    expect(dead[1]).toMatchObject({ receiver: "file", raw: "{nope" });
    expect(dead[1].error).toMatch(/^invalid JSON/);
    expect(dead[2].error).toBe("expected a JSON object, got an array");
    expect(dead[3].error).toMatch(/^nesting deeper than max_depth 2/);
    expect(ctx.telemetry.get("receiver/file/refused/logs")).toBe(4);
  });

  it("skips an over-long line that arrives without its newline yet, then resumes", async () => {
    const dir = tempDir();
    const file = join(dir, "a.ndjson");
    writeFileSync(file, "");
    const { receiver, sink, ctx } = await start(dir, {
      start_at: "beginning",
      max_line_size: 100,
    });
    appendFileSync(file, `${lines(1)}{"id":2,"pad":"${"y".repeat(70_000)}`);
    await receiver.pollNow();
    expect(sink.ids()).toEqual([1]);
    appendFileSync(file, `${"y".repeat(10)}"}\n${lines(3)}`);
    await receiver.pollNow();
    expect(sink.ids()).toEqual([1, 3]);
    expect(ctx.telemetry.get("receiver/file/refused/logs")).toBe(1);
  });

  it("dead-letters lines the pipeline refuses permanently and moves on", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a.ndjson"), lines(1, 2));
    const sink = new Sink();
    sink.refusals = [new PermanentError("schema mismatch")];
    const { receiver } = await start(
      dir,
      { start_at: "beginning", max_batch: 1, dead_letter: { path: "dead.jsonl" } },
      sink,
    );
    await receiver.pollNow();
    expect(sink.ids()).toEqual([2]);
    const dead = JSON.parse(readFileSync(join(dir, "dead.jsonl"), "utf8"));
    expect(dead).toMatchObject({
      line: 1,
      raw: '{"id":1}',
      error: "refused by the pipeline: schema mismatch",
    });
  });
});
