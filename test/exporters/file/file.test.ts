import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RetryableError } from "../../../src/component/errors.js";
import { type FileConfig, fileConfigSchema } from "../../../src/exporters/file/config.js";
import { FileExporter } from "../../../src/exporters/file/exporter.js";
import { fileFactory } from "../../../src/exporters/file/factory.js";
import type { Metric } from "../../../src/pdata/metrics.js";
import { decodeLogsRequest, encodeLogsRequest } from "../../../src/pdata/otlp-json.js";
import { noopHost, testContext } from "../../helpers/context.js";
import { logRecord, logRecords } from "../../helpers/records.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "tripline-file-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function create(config: Record<string, unknown>, configDir = dir) {
  const ctx = testContext("file/test", configDir);
  const exporter = new FileExporter(ctx, fileConfigSchema.parse(config), ["logs", "metrics"]);
  return { ctx, exporter };
}

async function lines(file: string): Promise<string[]> {
  return (await readFile(file, "utf8")).split("\n").slice(0, -1);
}

describe("file exporter config", () => {
  it("requires a path, applies Collector defaults and rejects unknown keys", () => {
    expect(fileConfigSchema.safeParse({}).success).toBe(false);
    expect(fileConfigSchema.parse({ path: "x.json" })).toEqual({ path: "x.json", format: "json" });
    expect(fileConfigSchema.parse({ path: "x.json", rotation: {} }).rotation).toEqual({
      max_megabytes: 100,
      max_backups: 100,
    });
    expect(fileConfigSchema.safeParse({ path: "x", format: "proto" }).success).toBe(false);
    expect(fileConfigSchema.safeParse({ path: "x", rotation: { maxMegabytes: 1 } }).success).toBe(
      false,
    );
  });

  it("is registered as the file exporter", () => {
    expect(fileFactory).toMatchObject({
      type: "file",
      kind: "exporter",
      signals: ["logs", "metrics"],
    });
    const config = fileConfigSchema.parse({ path: "a.json" }) as FileConfig;
    const exporter = fileFactory.create(testContext("file", dir), config, ["metrics"]);
    expect(exporter.consumers.metrics).toBeDefined();
    expect(exporter.consumers.logs).toBeUndefined();
  });
});

describe("file exporter", () => {
  it("writes one OTLP/JSON line per consume", async () => {
    const { exporter } = create({ path: "out.json" });
    await exporter.start(noopHost);
    const first = logRecords(3);
    const second = [logRecord({ body: "line\nbreak" })];
    await exporter.consumers.logs!.consume(first);
    await exporter.consumers.logs!.consume(second);
    const metric: Metric = {
      name: "detections",
      resource: { attributes: {} },
      scope: { name: "s" },
      data: { type: "gauge", points: [{ attributes: {}, startTime: 0n, time: 1n, value: 2 }] },
    };
    await exporter.consumers.metrics!.consume([metric]);
    // Resolved means written: the file is complete before shutdown.
    const written = await lines(path.join(dir, "out.json"));
    await exporter.shutdown();

    expect(written).toHaveLength(3);
    expect(JSON.parse(written[0]!)).toEqual(encodeLogsRequest(first));
    expect(decodeLogsRequest(JSON.parse(written[0]!))).toEqual(first);
    expect(decodeLogsRequest(JSON.parse(written[1]!))).toEqual(second);
    expect(written[0]).toContain('"timeUnixNano":"1795165200123456789"');
    expect(JSON.parse(written[2]!).resourceMetrics[0].scopeMetrics[0].metrics[0]).toEqual({
      name: "detections",
      gauge: {
        dataPoints: [{ attributes: [], startTimeUnixNano: "0", timeUnixNano: "1", asInt: "2" }],
      },
    });
  });

  it("appends to an existing file", async () => {
    const file = path.join(dir, "out.json");
    await writeFile(file, "earlier\n");
    const { exporter } = create({ path: file });
    await exporter.start(noopHost);
    await exporter.consumers.logs!.consume([logRecord()]);
    await exporter.shutdown();
    const written = await lines(file);
    expect(written[0]).toBe("earlier");
    expect(written).toHaveLength(2);
  });

  it("never interleaves concurrent consumes and keeps their order", async () => {
    const { exporter } = create({ path: "out.json" });
    await exporter.start(noopHost);
    // Large bodies make each line span several write syscalls' worth of buffer.
    const big = "x".repeat(200_000);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        exporter.consumers.logs!.consume([
          logRecord({ attributes: { i }, body: i % 2 ? big : "small" }),
        ]),
      ),
    );
    await exporter.shutdown();
    const written = await lines(path.join(dir, "out.json"));
    expect(written).toHaveLength(40);
    const order = written.map((line) => decodeLogsRequest(JSON.parse(line))[0]!.attributes.i);
    expect(order).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it("resolves a relative path against configDir and creates parent folders on start", async () => {
    const { exporter } = create({ path: "nested/deeper/out.json" });
    expect(exporter.path).toBe(path.join(dir, "nested/deeper/out.json"));
    await exporter.start(noopHost);
    expect(existsSync(path.join(dir, "nested/deeper/out.json"))).toBe(true);
    await exporter.consumers.logs!.consume([logRecord()]);
    await exporter.shutdown();
    expect(await lines(path.join(dir, "nested/deeper/out.json"))).toHaveLength(1);
  });

  it("keeps an absolute path as is", () => {
    const absolute = path.join(os.tmpdir(), "elsewhere.json");
    expect(create({ path: absolute }, "/some/config/dir").exporter.path).toBe(absolute);
  });

  it("rotates before a line would exceed max_megabytes and prunes the oldest backups", async () => {
    // 0.001 MiB is 1048 bytes; each line is ~1 KB, so every write after the first rotates.
    const { exporter } = create({
      path: "out.json",
      rotation: { max_megabytes: 0.001, max_backups: 2 },
    });
    await exporter.start(noopHost);
    for (let i = 0; i < 6; i++) {
      await exporter.consumers.logs!.consume([
        logRecord({ attributes: { i }, body: "y".repeat(500) }),
      ]);
    }
    await exporter.shutdown();

    const files = (await readdir(dir)).sort();
    const backups = files.filter((f) => f !== "out.json");
    expect(files).toContain("out.json");
    expect(backups).toHaveLength(2);
    for (const b of backups)
      expect(b).toMatch(/^out-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}\.json$/);

    const lineIndex = async (file: string) =>
      (await lines(path.join(dir, file))).map(
        (l) => decodeLogsRequest(JSON.parse(l))[0]!.attributes.i,
      );
    // Backup names sort chronologically; the survivors are the newest two.
    expect(await lineIndex(backups[0]!)).toEqual([3]);
    expect(await lineIndex(backups[1]!)).toEqual([4]);
    expect(await lineIndex("out.json")).toEqual([5]);
  });

  it("fills a file up to the limit before rotating, and max_backups 0 keeps every backup", async () => {
    const { exporter } = create({
      path: "out.json",
      rotation: { max_megabytes: 0.001, max_backups: 0 },
    });
    await exporter.start(noopHost);
    const line = `${JSON.stringify(encodeLogsRequest([logRecord({ attributes: { i: 0 } })]))}\n`;
    const perFile = Math.floor(1048.576 / Buffer.byteLength(line));
    expect(perFile).toBeGreaterThan(1);
    const total = perFile * 5 + 1;
    for (let i = 0; i < total; i++) {
      await exporter.consumers.logs!.consume([logRecord({ attributes: { i: i % 10 } })]);
    }
    await exporter.shutdown();
    const files = await readdir(dir);
    expect(files).toHaveLength(6);
    for (const f of files) {
      expect((await stat(path.join(dir, f))).size).toBeLessThanOrEqual(1048.576);
    }
    expect(await lines(path.join(dir, "out.json"))).toHaveLength(1);
  });

  it("rotates correctly under concurrent consumes and loses no line", async () => {
    const { exporter } = create({
      path: "out.json",
      rotation: { max_megabytes: 0.001, max_backups: 0 },
    });
    await exporter.start(noopHost);
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        exporter.consumers.logs!.consume([logRecord({ attributes: { i: i % 10 } })]),
      ),
    );
    await exporter.shutdown();
    const files = await readdir(dir);
    expect(files.length).toBeGreaterThan(5);
    let total = 0;
    for (const f of files) {
      expect((await stat(path.join(dir, f))).size).toBeLessThanOrEqual(1048.576);
      total += (await lines(path.join(dir, f))).length;
    }
    expect(total).toBe(30);
  });

  it("writes a line larger than the limit alone, without rotating an empty file", async () => {
    const { exporter } = create({
      path: "out.json",
      rotation: { max_megabytes: 0.001, max_backups: 5 },
    });
    await exporter.start(noopHost);
    await exporter.consumers.logs!.consume([logRecord({ body: "z".repeat(5000) })]);
    await exporter.consumers.logs!.consume([logRecord({ body: "z".repeat(5000) })]);
    await exporter.shutdown();
    const files = await readdir(dir);
    expect(files).toHaveLength(2);
    for (const f of files) expect(await lines(path.join(dir, f))).toHaveLength(1);
  });

  it("shutdown waits for pending writes, then refuses new ones as retryable", async () => {
    const { exporter } = create({ path: "out.json" });
    await exporter.start(noopHost);
    const pending = Array.from({ length: 20 }, (_, i) =>
      exporter.consumers.logs!.consume([logRecord({ attributes: { i } })]),
    );
    await exporter.shutdown();
    expect(await lines(path.join(dir, "out.json"))).toHaveLength(20);
    await Promise.all(pending);
    await expect(exporter.consumers.logs!.consume([logRecord()])).rejects.toBeInstanceOf(
      RetryableError,
    );
  });

  it("rejects with RetryableError on I/O errors", async () => {
    // A regular file where a folder should be makes mkdir/open fail.
    await writeFile(path.join(dir, "blocker"), "");
    const { exporter } = create({ path: "blocker/out.json" });
    await expect(exporter.start(noopHost)).rejects.toThrow();
    const result = exporter.consumers.logs!.consume(logRecords(2));
    await expect(result).rejects.toBeInstanceOf(RetryableError);
    await expect(result).rejects.toThrow(/blocker/);
    // A failed write does not wedge the chain: once the folder exists, writes succeed.
    await rm(path.join(dir, "blocker"));
    await exporter.consumers.logs!.consume(logRecords(1));
    expect(await lines(path.join(dir, "blocker/out.json"))).toHaveLength(1);
    await exporter.shutdown();
  });
});
