import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mergeExpositions, workerCount } from "../../src/cli/workers.js";
import type { LogBatch } from "../../src/pdata/logs.js";
import { fileReceiverConfigSchema } from "../../src/receivers/file/config.js";
import { fileReceiverFactory } from "../../src/receivers/file/factory.js";
import type { FileReceiver } from "../../src/receivers/file/receiver.js";
import { OtelTelemetry } from "../../src/telemetry/otel-telemetry.js";
import { FakeSender, startExporter } from "../exporterhelper/helpers.js";
import { noopHost, testContext } from "../helpers/context.js";
import { logRecords } from "../helpers/records.js";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("workerCount", () => {
  it("reads a whole number ≥ 1, auto, or nothing as 1", () => {
    expect(workerCount(undefined)).toBe(1);
    expect(workerCount("")).toBe(1);
    expect(workerCount("3")).toBe(3);
    expect(workerCount("auto")).toBeGreaterThanOrEqual(1);
    for (const bad of ["0", "-1", "1.5", "two", "02"]) expect(workerCount(bad)).toBeUndefined();
  });
});

describe("mergeExpositions", () => {
  it("labels every sample with its worker and keeps each family together, HELP/TYPE once", () => {
    const text = (n: number) =>
      [
        "# HELP a_total Things.",
        "# TYPE a_total counter",
        `a_total{receiver="r x"} ${n}`,
        "# HELP up Up.",
        "# TYPE up gauge",
        `up ${n}`,
        "# TYPE h histogram",
        `h_bucket{le="+Inf"} ${n}`,
        `h_count{} ${n}`,
        "",
      ].join("\n");
    expect(
      mergeExpositions([
        { worker: "1", text: text(1) },
        { worker: "2", text: text(2) },
      ]),
    ).toBe(
      [
        "# HELP a_total Things.",
        "# TYPE a_total counter",
        'a_total{worker="1",receiver="r x"} 1',
        'a_total{worker="2",receiver="r x"} 2',
        "# HELP up Up.",
        "# TYPE up gauge",
        'up{worker="1"} 1',
        'up{worker="2"} 2',
        "# TYPE h histogram",
        'h_bucket{worker="1",le="+Inf"} 1',
        'h_count{worker="1"} 1',
        'h_bucket{worker="2",le="+Inf"} 2',
        'h_count{worker="2"} 2',
        "",
      ].join("\n"),
    );
  });

  it("merges the text OtelTelemetry.exposition gives", async () => {
    const telemetry = new OtelTelemetry("test");
    telemetry.receiver("detections", "http").accepted("logs", 7);
    const merged = mergeExpositions([{ worker: "3", text: await telemetry.exposition() }]);
    expect(merged).toMatch(
      /^tripline_receiver_accepted_log_records_total\{worker="3",receiver="detections",transport="http"\} 7$/m,
    );
    await telemetry.shutdown();
  });
});

describe("per-worker state", () => {
  it("puts a worker's persistent queue under <storage>/<exporter id>/worker-<id>", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tripline-workers-"));
    vi.stubEnv("TRIPLINE_WORKER_ID", "2");
    const { exporter } = await startExporter(
      { sending_queue: { storage: "queue", num_consumers: 1 } },
      new FakeSender(),
      { configDir: dir },
    );
    await exporter.consumers.logs!.consume(logRecords(1));
    await exporter.shutdown();
    const exporterDir = path.join(dir, "queue", encodeURIComponent("otlp_http/test"));
    expect(readdirSync(exporterDir)).toEqual(["worker-2"]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps the file receiver idle outside worker 1", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tripline-workers-"));
    writeFileSync(path.join(dir, "a.ndjson"), '{"id":1}\n{"id":2}\n');
    const run = async (worker: string) => {
      vi.stubEnv("TRIPLINE_WORKER_ID", worker);
      const batches: LogBatch[] = [];
      const config = fileReceiverConfigSchema.parse({
        include: ["*.ndjson"],
        start_at: "beginning",
        poll_interval: "1h",
      });
      const receiver = fileReceiverFactory.create(testContext("file", dir), config, {
        logs: { consume: async (b: LogBatch) => void batches.push(b) },
      }) as FileReceiver;
      await receiver.start(noopHost);
      await receiver.pollNow();
      await receiver.shutdown();
      return batches.flat().length;
    };
    expect(await run("2")).toBe(0);
    expect(await run("1")).toBe(2);
    rmSync(dir, { recursive: true, force: true });
  });
});
