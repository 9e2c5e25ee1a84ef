import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync, gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { PermanentError, RetryableError } from "../../../src/component/errors.js";
import { detectionsConfigSchema } from "../../../src/receivers/detections/config.js";
import { ndjson, type Reply, type Started, send, startReceiver } from "./harness.js";

const MIB = 1024 * 1024;

function zstd(data: string | Buffer): Buffer {
  return execFileSync("zstd", ["-c", "-q"], { input: data });
}

function detection(i: number) {
  return { detection_id: `d-${i}`, severity: "high", category: "prompt_injection" };
}

function nested(depth: number): unknown {
  let value: unknown = { leaf: true };
  for (let i = 1; i < depth; i++) value = { n: value };
  return value;
}

let started: Started | undefined;
afterEach(async () => {
  await started?.receiver.shutdown();
  started = undefined;
});

async function start(config: Record<string, unknown> = {}, configDir?: string) {
  started = await startReceiver(config, configDir);
  return started;
}

describe("detections config", () => {
  it("has the documented defaults", () => {
    const config = detectionsConfigSchema.parse({});
    expect(config).toMatchObject({
      endpoint: "localhost:8088",
      path: "/v1/detections",
      max_request_body_size: 10 * MIB,
      max_items: 10_000,
      max_depth: 32,
      max_string_length: MIB,
    });
    expect(config.auth).toBeUndefined();
    expect(config.tls).toBeUndefined();
    expect(config.dead_letter).toBeUndefined();
  });

  it("documents every option", () => {
    const shape = detectionsConfigSchema.shape;
    for (const key of Object.keys(shape) as (keyof typeof shape)[]) {
      expect(shape[key].description, key).toBeTruthy();
    }
  });

  it("refuses an auth block with no method, and an unknown preset naming the available ones", () => {
    expect(detectionsConfigSchema.safeParse({ auth: {} }).success).toBe(false);
    const preset = detectionsConfigSchema.safeParse({ preset: "operantt" });
    expect(preset.success).toBe(false);
    expect(preset.error?.issues[0]?.message).toBe(
      'unknown preset "operantt"; available: operant, execlave, falco, ocsf',
    );
  });
});

describe("detections receiver: bodies", () => {
  it("accepts one object, an array and NDJSON, each object becoming one record", async () => {
    const { url, sink } = await start();
    expect((await send(url, JSON.stringify(detection(0)))).json).toEqual({ accepted: 1 });
    const array = await send(url, JSON.stringify([detection(1), detection(2)]));
    expect(array.json).toEqual({ accepted: 2 });
    const lines = await send(url, `${ndjson([detection(3), detection(4)])}\r\n\n`, {
      "content-type": "application/x-ndjson",
    });
    expect(lines.json).toEqual({ accepted: 2 });
    expect(sink.bodies().map((b) => b.detection_id)).toEqual(["d-0", "d-1", "d-2", "d-3", "d-4"]);
    expect(sink.records()[0]!.observedTime).toBeGreaterThan(0n);
  });

  it("accepts the other lines when line 3 of 5 is bad JSON, and reports it", async () => {
    const { url, sink } = await start();
    const lines = [0, 1, 2, 3, 4].map((i) => JSON.stringify(detection(i)));
    lines[2] = '{"detection_id": "d-2", "severity": }';
    const reply = await send(url, lines.join("\n"), { "content-type": "application/x-ndjson" });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      accepted: 4,
      rejected: 1,
      errors: [{ index: 2, line: 3, error: "invalid JSON at line 3 column 37: value expected" }],
    });
    expect(sink.bodies().map((b) => b.detection_id)).toEqual(["d-0", "d-1", "d-3", "d-4"]);
  });

  it("rejects a non-object array element alone, with its line", async () => {
    const { url, sink } = await start();
    const body = `[\n${JSON.stringify(detection(0))},\n42,\n${JSON.stringify(detection(2))}\n]`;
    const reply = await send(url, body);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      accepted: 2,
      rejected: 1,
      errors: [{ index: 1, line: 3, error: "expected a JSON object, got a number" }],
    });
    expect(sink.records()).toHaveLength(2);
  });

  it("answers 400 with the report when every item is rejected", async () => {
    const { url, sink } = await start();
    const reply = await send(url, '[1, "two", null]');
    expect(reply.status).toBe(400);
    expect(reply.json.accepted).toBe(0);
    expect(reply.json.rejected).toBe(3);
    expect(reply.json.error).toBe("all 3 items were rejected");
    expect(reply.json.errors.map((e: { index: number }) => e.index)).toEqual([0, 1, 2]);
    expect(sink.records()).toHaveLength(0);
  });

  it("lists at most 100 errors but counts them all", async () => {
    const { url } = await start();
    const body = JSON.stringify([detection(0), ...Array.from({ length: 150 }, (_, i) => i)]);
    const reply = await send(url, body);
    expect(reply.json.accepted).toBe(1);
    expect(reply.json.rejected).toBe(150);
    expect(reply.json.errors).toHaveLength(100);
  });

  it("refuses a body that is not JSON with 400 naming the position", async () => {
    const { url, sink } = await start();
    const reply = await send(url, '{"severity": "high",\n "category": }');
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ error: "invalid JSON at line 2 column 14: value expected" });
    const scalar = await send(url, '"just a string"');
    expect(scalar.status).toBe(400);
    expect(scalar.json.error).toMatch(
      /expected a JSON object or an array of objects, got a string/,
    );
    expect(sink.records()).toHaveLength(0);
  });

  it("answers 404 and 405 for the wrong path and method", async () => {
    const { url } = await start();
    expect((await send(url.replace("/v1/detections", "/nope"), "{}")).status).toBe(404);
    const get = await send(url, undefined, {}, { method: "GET" });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe("POST");
  });
});

describe("detections receiver: compression", () => {
  it("accepts gzip, deflate and zstd bodies", async () => {
    const { url, sink } = await start();
    const text = ndjson([detection(0), detection(1)]);
    const nd = { "content-type": "application/x-ndjson" };
    const gz = await send(url, gzipSync(text), { ...nd, "content-encoding": "gzip" });
    expect(gz.json).toEqual({ accepted: 2 });
    const df = await send(url, deflateSync(text), { ...nd, "content-encoding": "deflate" });
    expect(df.json).toEqual({ accepted: 2 });
    const zs = await send(url, zstd(text), { ...nd, "content-encoding": "zstd" });
    expect(zs.json).toEqual({ accepted: 2 });
    expect(sink.records()).toHaveLength(6);
  });

  it("refuses a corrupt gzip or zstd body with 400, and unknown encodings with 415", async () => {
    const { url, sink } = await start();
    const gz = gzipSync(JSON.stringify(detection(0)));
    const corrupt = Buffer.concat([gz.subarray(0, 10), Buffer.from("not deflate at all")]);
    const bad = await send(url, corrupt, { "content-encoding": "gzip" });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/^cannot decompress gzip body: /);
    const zs = zstd(JSON.stringify(detection(0)));
    const truncated = await send(url, zs.subarray(0, zs.length - 4), {
      "content-encoding": "zstd",
    });
    expect(truncated.status).toBe(400);
    expect(truncated.json.error).toMatch(/^cannot decompress zstd body: /);
    const br = await send(url, "{}", { "content-encoding": "br" });
    expect(br.status).toBe(415);
    expect(sink.records()).toHaveLength(0);
  });

  it("stops a zstd or gzip bomb at the limit on decompressed bytes", async () => {
    const { url } = await start({ max_request_body_size: MIB });
    const zeros = Buffer.alloc(64 * MIB);
    const bomb = zstd(zeros);
    expect(bomb.length).toBeLessThan(MIB / 100);
    const zs = await send(url, bomb, { "content-encoding": "zstd" });
    expect(zs.status).toBe(413);
    expect(zs.json.error).toMatch(/after decompression/);
    const gz = await send(url, gzipSync(zeros), { "content-encoding": "gzip" });
    expect(gz.status).toBe(413);
  });
});

/** Streams `total` bytes without Content-Length; resolves with the answer and bytes written. */
function streamUntilAnswered(
  url: string,
  total: number,
): Promise<{ reply: Reply; written: number }> {
  return new Promise((resolve, reject) => {
    let written = 0;
    let answered = false;
    const req = request(url, { method: "POST", headers: { "content-type": "application/json" } });
    req.on("response", (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        resolve({
          reply: { status: res.statusCode!, headers: res.headers, text, json: JSON.parse(text) },
          written,
        });
        req.destroy();
      });
    });
    req.on("error", (error) => {
      if (!answered) reject(error);
    });
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    const pump = () => {
      while (!answered && written < total) {
        written += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      // Deliberately never ends the request: only an early answer can settle the promise.
    };
    pump();
  });
}

describe("detections receiver: limits", () => {
  it("answers 413 to an 11 MiB body before the whole body is read", async () => {
    const { url, sink } = await start();
    const { reply, written } = await streamUntilAnswered(url, 11 * MIB);
    expect(reply.status).toBe(413);
    expect(reply.headers.connection).toBe("close");
    expect(reply.json.error).toMatch(/exceeds max_request_body_size 10485760/);
    // The request was never ended, so an answer proves the server stopped reading early.
    expect(written).toBeLessThanOrEqual(11 * MIB);
    expect(sink.records()).toHaveLength(0);
  });

  it("answers 413 at once when Content-Length already says too much", async () => {
    const { url } = await start({ max_request_body_size: 1000 });
    const reply = await send(url, "x".repeat(2000));
    expect(reply.status).toBe(413);
    expect(reply.json.error).toMatch(/request body of 2000 bytes exceeds/);
  });

  it("answers 413 and accepts nothing past max_items", async () => {
    const { url, sink } = await start({ max_items: 3 });
    const four = [0, 1, 2, 3].map(detection);
    const array = await send(url, JSON.stringify(four));
    expect(array.status).toBe(413);
    expect(array.json.error).toBe("4 items exceed max_items 3; split the request");
    const lines = await send(url, ndjson(four), { "content-type": "application/x-ndjson" });
    expect(lines.status).toBe(413);
    expect((await send(url, JSON.stringify(four.slice(0, 3)))).json).toEqual({ accepted: 3 });
    expect(sink.records()).toHaveLength(3);
  });

  it("rejects an item nested deeper than max_depth and keeps the rest", async () => {
    const { url, sink } = await start({ max_depth: 8 });
    const body = JSON.stringify([nested(8), nested(9), detection(2)]);
    const reply = await send(url, body);
    expect(reply.json.accepted).toBe(2);
    expect(reply.json.errors).toEqual([
      { index: 1, line: 1, error: "nesting deeper than max_depth 8 at $.n.n.n.n.n.n.n.n" },
    ]);
    expect(sink.records()).toHaveLength(2);
  });

  it("survives nesting a million levels deep, in a line or an array", async () => {
    const { url } = await start();
    const deep = `{"a":${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}}`;
    const nd = await send(url, `${JSON.stringify(detection(0))}\n${deep}`, {
      "content-type": "application/x-ndjson",
    });
    expect(nd.status).toBe(200);
    expect(nd.json.errors[0].error).toMatch(/^nesting deeper than max_depth 32/);
    const arr = await send(url, `[${deep}]`);
    expect(arr.status).toBe(400);
    expect(arr.json.rejected).toBe(1);
    const broken = await send(url, `${"[".repeat(1_000_000)}`);
    expect(broken.status).toBe(400);
    expect(broken.json.error).toMatch(/^invalid JSON/);
  });

  it("rejects an item with a string or key longer than max_string_length", async () => {
    const { url, sink } = await start({ max_string_length: 1000 });
    const items = [
      { ...detection(0), note: "x".repeat(1000) },
      { ...detection(1), note: "x".repeat(1001) },
      { ...detection(2), ["k".repeat(1001)]: 1 },
      { ...detection(3), list: ["y".repeat(5000)] },
    ];
    const reply = await send(url, ndjson(items), { "content-type": "application/x-ndjson" });
    expect(reply.json.accepted).toBe(1);
    expect(reply.json.errors).toEqual([
      {
        index: 1,
        line: 2,
        error: "string of 1001 characters is longer than max_string_length 1000 at $.note",
      },
      { index: 2, line: 3, error: "key longer than max_string_length 1000 at $" },
      {
        index: 3,
        line: 4,
        error: "string of 5000 characters is longer than max_string_length 1000 at $.list[0]",
      },
    ]);
    expect(sink.bodies()[0]!.detection_id).toBe("d-0");
  });

  it("makes __proto__, constructor and prototype keys inert", async () => {
    const { url, sink } = await start();
    const body =
      '{"detection_id":"d-0","__proto__":{"polluted":true},' +
      '"constructor":{"prototype":{"polluted":true}},"nested":{"__proto__":{"polluted":true}}}';
    const reply = await send(url, body);
    expect(reply.json).toEqual({ accepted: 1 });
    const record = sink.records()[0]!;
    const received = record.body as Record<string, unknown>;
    expect(Object.keys(received)).toEqual(["detection_id", "nested"]);
    expect(Object.keys(received.nested as object)).toEqual([]);
    // The ways downstream code copies objects must not reach a prototype.
    const merged = Object.assign({}, received, received.nested as object);
    expect((merged as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("detections receiver: dead letter", () => {
  it("writes each rejected item raw before answering", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tripline-dl-"));
    const { url } = await start({ dead_letter: { path: "dead/detections.jsonl" } }, dir);
    const badLine = '{"detection_id": "d-1",}';
    await send(url, [JSON.stringify(detection(0)), badLine, "[1,2]"].join("\n"), {
      "content-type": "application/x-ndjson",
    });
    const reply = await send(url, `[\n  ${JSON.stringify(detection(5))}\n]`);
    expect(reply.json.accepted).toBe(1);
    // The answer came, so the file must already hold the lines.
    const lines = readFileSync(join(dir, "dead/detections.jsonl"), "utf8").trim().split("\n");
    const entries = lines.map((l) => JSON.parse(l));
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({
      receiver: "detections",
      index: 1,
      line: 2,
      raw: badLine,
      error: "invalid JSON at line 2 column 24: property name expected",
    });
    expect(entries[1]).toMatchObject({ index: 2, line: 3, raw: "[1,2]" });
    expect(Object.keys(entries[0])).toEqual(["time", "receiver", "error", "index", "line", "raw"]);
    expect(Date.parse(entries[0].time)).not.toBeNaN();
  });

  it("keeps an array element exactly as sent", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tripline-dl-"));
    const { url } = await start({ dead_letter: { path: "dl.jsonl" }, max_depth: 2 }, dir);
    const element = '{ "deep": {"a": {"b": "x,]"}} }';
    const reply = await send(url, `[\n  ${JSON.stringify(detection(5))},\n  ${element}\n]`);
    expect(reply.json.accepted).toBe(1);
    const entry = JSON.parse(readFileSync(join(dir, "dl.jsonl"), "utf8"));
    expect(entry).toMatchObject({ index: 1, line: 3, raw: element });
  });

  it("answers 503 and accepts nothing when the dead letter cannot be written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tripline-dl-"));
    // A directory where the file should be: every write fails.
    const { url, sink } = await start({ dead_letter: { path: "." } }, dir);
    const reply = await send(url, JSON.stringify([detection(0), 1]));
    expect(reply.status).toBe(503);
    expect(reply.headers["retry-after"]).toBe("1");
    expect(sink.records()).toHaveLength(0);
  });
});

describe("detections receiver: downstream", () => {
  it("answers 503 with Retry-After when downstream refuses for now", async () => {
    const { url, sink, ctx } = await start();
    sink.refusal = new RetryableError("queue full", 7000);
    const reply = await send(url, JSON.stringify(detection(0)));
    expect(reply.status).toBe(503);
    expect(reply.headers["retry-after"]).toBe("7");
    expect(ctx.telemetry.get("receiver/detections/refused/logs")).toBe(1);
    sink.refusal = new PermanentError("bad data");
    expect((await send(url, JSON.stringify(detection(0)))).status).toBe(400);
    sink.refusal = undefined;
    expect((await send(url, JSON.stringify(detection(0)))).status).toBe(200);
    expect(ctx.telemetry.get("receiver/detections/accepted/logs")).toBe(1);
  });
});
