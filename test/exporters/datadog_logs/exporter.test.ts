import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { PermanentError, RetryableError } from "../../../src/component/errors.js";
import { check } from "../../../src/exporters/datadog_logs/check.js";
import { datadogLogsConfigSchema } from "../../../src/exporters/datadog_logs/config.js";
import { createDatadogLogsSender } from "../../../src/exporters/datadog_logs/exporter.js";
import { datadogLogsFactory } from "../../../src/exporters/datadog_logs/factory.js";
import { SYNC_BELOW_BYTES } from "../../../src/exporters/internal/compress.js";
import type { LogRecord } from "../../../src/pdata/logs.js";
import { noopHost } from "../../helpers/context.js";
import { DatadogContractServer } from "../datadog/contract-server.js";
import {
  execlaveTrace,
  falcoAlert,
  observedContext,
  operantDetection,
} from "../datadog/helpers.js";
import { intakeConfig, intakePerTest, rejection } from "../datadog/intake.js";

const intake = intakePerTest();

function config(overrides: Record<string, unknown> = {}) {
  return intakeConfig(datadogLogsConfigSchema, intake.server, overrides);
}

/** An exporter built by its factory and started, as the service does it. */
async function startExporter(overrides: Record<string, unknown> = {}) {
  const observed = observedContext("datadog_logs");
  const exporter = datadogLogsFactory.create(observed.ctx, config(overrides), ["logs"]);
  await exporter.start(noopHost);
  intake.cleanups.push(() => exporter.shutdown());
  return {
    ...observed,
    exporter,
    consume: (b: LogRecord[]) => exporter.consumers.logs!.consume(b),
  };
}

/** The Sender alone: one attempt per call, so its typed errors are seen as the queue sees them. */
function sender(overrides: Record<string, unknown> = {}) {
  const observed = observedContext("datadog_logs/eu");
  const built = createDatadogLogsSender(observed.ctx, config(overrides));
  intake.cleanups.push(built.close);
  const send = (batch: LogRecord[]) => built.sender.send(batch, "logs", AbortSignal.timeout(5000));
  return { ...observed, send };
}

function detections(n: number, pad = 0): LogRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const record = operantDetection();
    record.attributes = { ...record.attributes, "detection.id": `d-${i}`, pad: "p".repeat(pad) };
    return record;
  });
}

describe("datadog_logs exporter on the wire", () => {
  it("posts gzip JSON with the key header and Datadog's reserved attributes", async () => {
    const { consume } = await startExporter();
    await consume([operantDetection(), execlaveTrace(), falcoAlert()]);

    expect(intake.server.requests).toHaveLength(1);
    const request = intake.server.requests[0]!;
    expect(request).toMatchObject({ method: "POST", path: "/api/v2/logs", status: 202 });
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["content-encoding"]).toBe("gzip");
    expect(request.headers["dd-api-key"]).toBe(intake.server.apiKey);
    expect(request.wireBytes).toBeLessThan(request.bodyBytes);

    expect(intake.server.logs.map((l) => [l.ddsource, l.status])).toEqual([
      ["operant", "error"],
      ["execlave", "error"],
      ["falco", "critical"],
    ]);
    expect(intake.server.logs[1]).toMatchObject({
      "execlave.status": "policy_blocked",
      agent_id: "support-bot",
    });
    expect(intake.server.logs[2]).toMatchObject({
      "dd.trace_id": "15161849952847513100",
      hostname: "node-3",
    });
  });

  it("sends identity bodies when compression is none", async () => {
    const { consume } = await startExporter({ compression: "none" });
    await consume([operantDetection()]);
    expect(intake.server.requests[0]!.headers["content-encoding"]).toBeUndefined();
    expect(intake.server.requests[0]!.wireBytes).toBe(intake.server.requests[0]!.bodyBytes);
    expect(intake.server.logs).toHaveLength(1);
  });

  it.each([
    ["unset (zlib's default, today's bytes)", undefined, {}],
    ["1", { level: 1 }, { level: 1 }],
    ["9", { level: 9 }, { level: 9 }],
  ])("gzips with compression_params.level %s", async (_, params, zlibOptions) => {
    const { consume } = await startExporter({ compression_params: params });
    await consume(detections(1));
    await consume(detections(100));
    const [one, hundred] = intake.server.requests;
    expect(one!.bodyBytes).toBeLessThan(SYNC_BELOW_BYTES);
    expect(hundred!.bodyBytes).toBeGreaterThan(SYNC_BELOW_BYTES);
    for (const request of [one!, hundred!]) {
      expect(request.headers["content-encoding"]).toBe("gzip");
      expect(request.raw.equals(gzipSync(request.body!, zlibOptions))).toBe(true);
    }
    expect(intake.server.logs).toHaveLength(101);
  });

  it("splits a large batch at 1000 logs per request", async () => {
    const { consume } = await startExporter();
    await consume(detections(2500));
    expect(intake.server.requests.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(intake.server.logs).toHaveLength(2500);
    expect(intake.server.logs.map((l) => l["detection.id"])).toEqual(
      Array.from({ length: 2500 }, (_, i) => `d-${i}`),
    );
  });

  it("splits on max_batch_bytes, measured uncompressed", async () => {
    const { consume } = await startExporter({ max_batch_bytes: 20_000, max_entry_bytes: 10_000 });
    await consume(detections(30, 1500));
    expect(intake.server.requests.length).toBeGreaterThan(2);
    for (const request of intake.server.requests) {
      expect(request.status).toBe(202);
      expect(request.bodyBytes).toBeLessThanOrEqual(20_000);
    }
    expect(intake.server.logs).toHaveLength(30);
  });

  it("truncates a log over 1 MB instead of losing it, and says so", async () => {
    const { consume, logs } = await startExporter();
    const big = operantDetection();
    big.attributes = { ...big.attributes, "evidence.dump": "z".repeat(1_500_000) };
    await consume([big, operantDetection()]);

    expect(intake.server.oversized).toBe(0);
    expect(intake.server.logs).toHaveLength(2);
    expect(intake.server.logs[0]).toMatchObject({
      "tripline.truncated": true,
      "tripline.dropped_attributes": ["evidence.dump"],
      "detection.id": "71dfd7ad-912f-4ee8-a284-fd2d7008dda6",
      message: "data_exfiltration blocked on agent billing-agent",
    });
    expect(intake.server.logs[1]!["tripline.truncated"]).toBeUndefined();
    expect(logs().some((l) => l.level === 40 && l.truncated === 1)).toBe(true);
  });
});

describe("datadog_logs sender errors", () => {
  it.each([
    [429, { "retry-after": "7" }, 7000],
    [503, { "retry-after": "2" }, 2000],
    [500, {}, undefined],
    [408, {}, undefined],
  ])("treats HTTP %i as retryable (Retry-After → retryAfterMs)", async (status, headers, ms) => {
    const { send } = sender();
    intake.server.respondWith({ status, headers });
    const error = await rejection(send([operantDetection()]));
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).retryAfterMs).toBe(ms);
    expect(error.message).toContain(`HTTP ${status}`);
  });

  it("reads a Retry-After HTTP date", async () => {
    const { send } = sender();
    const at = new Date(Date.now() + 60_000).toUTCString();
    intake.server.respondWith({ status: 429, headers: { "retry-after": at } });
    const error = (await rejection(send([operantDetection()]))) as RetryableError;
    expect(error.retryAfterMs).toBeGreaterThan(50_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it("treats HTTP 400 as permanent and reports Datadog's reason", async () => {
    const { send } = sender();
    intake.server.respondWith({ status: 400, body: '{"errors":["Malformed payload"]}' });
    const error = await rejection(send([operantDetection()]));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toContain("Malformed payload");
  });

  it("treats an unreachable intake as retryable", async () => {
    const { send } = sender();
    await intake.server.stop();
    const error = await rejection(send([operantDetection()]));
    expect(error).toBeInstanceOf(RetryableError);
  });

  it("resends a 413 request as two halves until each is accepted", async () => {
    const { send } = sender();
    intake.server.respondWith({ status: 413 }, { status: 413 });
    await send(detections(10));
    // 10 → 413; 5 → 413; then 3 and 2 accepted; then the other 5 accepted.
    expect(intake.server.requests.map((r) => r.status)).toEqual([413, 413, 202, 202, 202]);
    expect(intake.server.logs.map((l) => l["detection.id"])).toEqual(
      Array.from({ length: 10 }, (_, i) => `d-${i}`),
    );
  });

  it("gives up on 413 for a single log with a permanent error", async () => {
    const { send } = sender();
    intake.server.respondWith({ status: 413 });
    const error = await rejection(send([operantDetection()]));
    expect(error).toBeInstanceOf(PermanentError);
  });

  it("keeps sending the other requests when one is refused, then reports the refusal", async () => {
    const { send } = sender({ max_batch_entries: 2 });
    intake.server.respondWith({ status: 400 });
    const error = await rejection(send(detections(6)));
    expect(error).toBeInstanceOf(PermanentError);
    expect(intake.server.logs.map((l) => l["detection.id"])).toEqual(["d-2", "d-3", "d-4", "d-5"]);
  });

  it("is retryable when a refusal and a transient failure mix", async () => {
    const { send } = sender({ max_batch_entries: 1 });
    intake.server.respondWith({ status: 400 }, { status: 503, headers: { "retry-after": "3" } });
    const error = (await rejection(send(detections(3)))) as RetryableError;
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.retryAfterMs).toBe(3000);
  });

  it.each([
    [403, "wrong-key"],
    [401, undefined],
  ])(
    "counts HTTP %i, logs it once at error level with the site, never the key",
    async (status, key) => {
      const observed = observedContext("datadog_logs/eu");
      const cfg = config({ site: "datadoghq.eu", api_key: key ?? "placeholder" });
      const built = createDatadogLogsSender(observed.ctx, cfg);
      intake.cleanups.push(built.close);
      if (key === undefined) intake.server.respondWith({ status: 401 }, { status: 401 });
      for (let i = 0; i < 2; i++) {
        const error = await rejection(
          built.sender.send([operantDetection()], "logs", AbortSignal.timeout(5000)),
        );
        expect(error).toBeInstanceOf(PermanentError);
        expect(error.message).not.toContain(cfg.api_key);
      }
      const errors = observed.logs().filter((l) => l.level === 50);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.msg).toContain("check api_key for site datadoghq.eu");
      expect(errors[0]!.status).toBe(status);
      expect(
        await observed.counter("tripline_exporter_auth_failures", { exporter: "datadog_logs/eu" }),
      ).toBe(2);
      expect(observed.lines.join("\n")).not.toContain(cfg.api_key);
    },
  );
});

describe("api_key secrecy", () => {
  it("never writes the key to the logs, whatever happens", async () => {
    const secret = "dd0123456789abcdefSECRET";
    await intake.server.stop();
    intake.server = await new DatadogContractServer(secret).start();
    const { consume, lines, exporter } = await startExporter({
      api_key: secret,
      check_on_start: true,
    });
    const big = operantDetection();
    big.attributes = { ...big.attributes, blob: "b".repeat(1_200_000) };
    await consume([big]);
    intake.server.respondWith({ status: 413 }, { status: 403 }, { status: 429 }, { status: 400 });
    await consume(detections(4)).catch(() => {});
    await consume(detections(1)).catch(() => {});
    await consume(detections(1)).catch(() => {});
    await exporter.shutdown();
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.join("\n")).not.toContain(secret);
  });
});

describe("check", () => {
  it("is ok when the site validates the key", async () => {
    const result = await check(config());
    expect(result.ok).toBe(true);
    expect(intake.server.requests[0]).toMatchObject({
      method: "GET",
      path: "/api/v1/validate",
      status: 200,
    });
    expect(intake.server.requests[0]!.headers["dd-api-key"]).toBe(intake.server.apiKey);
  });

  it("fails with the site in the detail when the key is refused", async () => {
    const result = await check(config({ api_key: "wrong", site: "us5.datadoghq.com" }));
    expect(result).toMatchObject({ ok: false, keyRefused: true });
    expect(result.detail).toContain("HTTP 403");
    expect(result.detail).toContain("us5.datadoghq.com");
    expect(result.detail).not.toContain("wrong");
  });

  it("fails without blaming the key when Datadog cannot be reached", async () => {
    const cfg = config();
    await intake.server.stop();
    const result = await check(cfg);
    expect(result.ok).toBe(false);
    expect(result.keyRefused).toBeUndefined();
    expect(result.detail).toMatch(/cannot reach Datadog/);
  });

  it("fails start when check_on_start is set and the key is refused", async () => {
    const observed = observedContext("datadog_logs");
    const exporter = datadogLogsFactory.create(
      observed.ctx,
      config({ api_key: "wrong", check_on_start: true }),
      ["logs"],
    );
    intake.cleanups.push(() => exporter.shutdown());
    await expect(exporter.start(noopHost)).rejects.toThrow(/check api_key for site datadoghq.com/);
  });

  it("does not call the API at start unless asked", async () => {
    await startExporter({ api_key: "wrong" });
    expect(intake.server.requests).toHaveLength(0);
  });
});
