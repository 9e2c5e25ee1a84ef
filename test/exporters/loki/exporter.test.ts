import { gunzipSync, gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Exporter } from "../../../src/component/component.js";
import { PermanentError, RetryableError } from "../../../src/component/errors.js";
import { SYNC_BELOW_BYTES } from "../../../src/exporters/internal/compress.js";
import { lokiConfigSchema } from "../../../src/exporters/loki/config.js";
import { createLokiSender, type LokiSender } from "../../../src/exporters/loki/exporter.js";
import { lokiFactory } from "../../../src/exporters/loki/factory.js";
import type { LogRecord } from "../../../src/pdata/logs.js";
import type { Resource } from "../../../src/pdata/resource.js";
import { noopHost, testContext } from "../../helpers/context.js";
import { LOKI, LokiContractServer } from "./contract-server.js";

const RESOURCE: Resource = {
  attributes: {
    "service.name": "support-bot",
    "deployment.environment.name": "prod",
    "k8s.cluster.name": "eu-1",
    "k8s.pod.name": "support-bot-7d9f",
  },
};
const T0 = 1_795_165_200_123_456_789n;
const TRACE_ID = "5b8efff798038103d269b633813fc60c";

function detection(
  i: number,
  overrides: Partial<LogRecord> = {},
  attributes: Record<string, string> = {},
): LogRecord {
  return {
    time: T0 + BigInt(i),
    observedTime: T0 + 1_000n,
    severityNumber: 17,
    severityText: "HIGH",
    eventName: "security.detection",
    body: `prompt_injection blocked on support-bot #${i}`,
    attributes: {
      "detection.id": `det-${i}`,
      "detection.severity": "high",
      "detection.category": "prompt_injection",
      "detection.action": "blocked",
      "security_rule.name": "ignore-previous",
      ...attributes,
    },
    traceId: TRACE_ID,
    spanId: "eee19b7ec3c1b174",
    resource: RESOURCE,
    scope: { name: "tripline/test" },
    ...overrides,
  };
}

const direct = { sending_queue: { enabled: false }, retry_on_failure: { enabled: false } };

describe("loki exporter against the Loki contract server", () => {
  let loki: LokiContractServer;
  let exporter: Exporter | undefined;

  beforeEach(async () => {
    loki = await new LokiContractServer({
      tenant: "team-a",
      authorization: "Basic dXNlcjpzM2NyZXQ=",
    }).start();
  });
  afterEach(async () => {
    await exporter?.shutdown();
    exporter = undefined;
    await loki.stop();
  });

  async function start(options: Record<string, unknown> = {}) {
    const config = lokiConfigSchema.parse({
      endpoint: loki.url,
      tenant_id: "team-a",
      auth: { basic: { username: "user", password: "s3cret" } },
      ...direct,
      ...options,
    });
    exporter = lokiFactory.create(testContext("loki"), config, ["logs"]);
    await exporter.start(noopHost);
    return exporter.consumers.logs!;
  }

  /** A Sender alone for the server's tenant and credentials, open while `use` runs. */
  async function withSender(
    options: Record<string, unknown>,
    use: (sender: LokiSender) => Promise<void>,
  ): Promise<void> {
    const { sender, client } = createLokiSender(
      testContext("loki"),
      lokiConfigSchema.parse({
        endpoint: loki.url,
        tenant_id: "team-a",
        auth: { basic: { username: "user", password: "s3cret" } },
        ...options,
      }),
    );
    await client.open();
    try {
      await use(sender);
    } finally {
      await client.close();
    }
  }

  it.each(["protobuf", "json"] as const)(
    "pushes detections with %s: small label set, ids as structured metadata, JSON line",
    async (encoding) => {
      const logs = await start({ encoding });
      await logs.consume([detection(1), detection(2, {}, { "detection.category": "jailbreak" })]);
      expect(loki.pushes).toHaveLength(1);
      const push = loki.pushes[0]!;
      expect(push.status).toBe(204);
      expect(push.encoding).toBe(encoding);
      expect(push.headers["x-scope-orgid"]).toBe("team-a");
      expect(push.headers["user-agent"]).toMatch(/^Tripline\//);
      if (encoding === "json") expect(push.headers["content-encoding"]).toBe("gzip");

      const streams = loki.streams.map((s) => s.labels);
      expect(streams).toEqual(
        expect.arrayContaining([
          {
            category: "prompt_injection",
            cluster: "eu-1",
            env: "prod",
            service_name: "support-bot",
            severity: "high",
          },
          {
            category: "jailbreak",
            cluster: "eu-1",
            env: "prod",
            service_name: "support-bot",
            severity: "high",
          },
        ]),
      );
      const entry = loki.entries.find((e) => e.labels.category === "prompt_injection")!;
      expect(entry.ts).toBe((T0 + 1n).toString());
      expect(entry.metadata).toEqual({
        trace_id: TRACE_ID,
        span_id: "eee19b7ec3c1b174",
        detection_id: "det-1",
      });
      const line = JSON.parse(entry.line) as Record<string, unknown>;
      expect(line).toEqual({
        message: "prompt_injection blocked on support-bot #1",
        level: "error",
        severity_text: "HIGH",
        event_name: "security.detection",
        "detection.action": "blocked",
        "security_rule.name": "ignore-previous",
        "k8s.pod.name": "support-bot-7d9f",
      });
    },
  );

  it.each([
    ["unset (zlib's default, today's bytes)", undefined, {}],
    ["1", { level: 1 }, { level: 1 }],
  ])("gzips JSON pushes with compression_params.level %s", async (_, params, zlibOptions) => {
    const logs = await start({ encoding: "json", compression_params: params });
    await logs.consume([detection(1)]);
    await logs.consume(Array.from({ length: 200 }, (_, i) => detection(i)));
    const bodies = loki.pushes.map((push) => gunzipSync(push.raw));
    expect(bodies[0]!.length).toBeLessThan(SYNC_BELOW_BYTES);
    expect(bodies[1]!.length).toBeGreaterThan(SYNC_BELOW_BYTES);
    loki.pushes.forEach((push, i) => {
      expect(push.status).toBe(204);
      expect(push.raw.equals(gzipSync(bodies[i]!, zlibOptions))).toBe(true);
    });
  });

  it("sends entries of a stream in time order, whatever order they arrive in", async () => {
    const logs = await start();
    await logs.consume([detection(5), detection(1), detection(3)]);
    expect(loki.pushes.map((p) => p.status)).toEqual([204]);
    expect(loki.entries.map((e) => e.ts)).toEqual([1n, 3n, 5n].map((i) => (T0 + i).toString()));
  });

  it("keeps nanosecond timestamps and falls back to the observed time", async () => {
    const logs = await start({ encoding: "json" });
    await logs.consume([detection(0, { time: 0n })]);
    expect(loki.entries.map((e) => e.ts)).toEqual([(T0 + 1_000n).toString()]);
  });

  it("labels a record that has none of the label attributes service_name=unknown_service", async () => {
    const logs = await start();
    await logs.consume([
      detection(
        1,
        { resource: { attributes: {} }, severityNumber: 0 },
        { "detection.severity": "", "detection.category": "" },
      ),
    ]);
    expect(loki.streams.map((s) => s.labels)).toEqual([{ service_name: "unknown_service" }]);
  });

  it("derives the severity label from severityNumber when detection.severity is absent", async () => {
    const logs = await start();
    await logs.consume([detection(1, { severityNumber: 21 }, { "detection.severity": "" })]);
    expect(loki.streams[0]!.labels.severity).toBe("critical");
  });

  it("writes logfmt and body lines", async () => {
    let logs = await start({ line_format: "logfmt" });
    await logs.consume([detection(1)]);
    expect(loki.entries[0]!.line).toBe(
      'message="prompt_injection blocked on support-bot #1" level=error severity_text=HIGH ' +
        "event_name=security.detection detection.action=blocked security_rule.name=ignore-previous " +
        "k8s.pod.name=support-bot-7d9f",
    );
    await exporter!.shutdown();
    loki.pushes.length = 0;
    logs = await start({ line_format: "body" });
    await logs.consume([detection(2, { body: { title: "x", n: 1 } })]);
    expect(loki.entries[0]!.line).toBe('{"title":"x","n":1}');
  });

  it("folds label sets beyond max_streams into the overflow stream, labels kept as metadata", async () => {
    await withSender({ max_streams: 2 }, async (sender) => {
      const categories = ["a", "b", "c", "a", "d"];
      await sender.send(
        categories.map((c, i) => detection(i, {}, { "detection.category": c })),
        "logs",
        new AbortController().signal,
      );
      expect(loki.pushes.map((p) => p.status)).toEqual([204]);
      const byStream = loki.streams.map((s) => [
        s.labels.category ?? s.labels.tripline_overflow,
        s.entries.length,
      ]);
      expect(byStream).toEqual(
        expect.arrayContaining([
          ["a", 2],
          ["b", 1],
          ["true", 2],
        ]),
      );
      const overflow = loki.streams.find((s) => s.labels.tripline_overflow === "true")!;
      expect(overflow.labels).toEqual({ tripline_overflow: "true" });
      expect(overflow.entries.map((e) => e.metadata.category)).toEqual(["c", "d"]);
      expect(overflow.entries[0]!.metadata.service_name).toBe("support-bot");
      expect(sender.stats.overflowRecords).toBe(2);
    });
  });

  it("truncates a line over max_line_size instead of having the push refused", async () => {
    await withSender({ line_format: "body" }, async (sender) => {
      const huge = "é".repeat(LOKI.maxLineBytes);
      await sender.send(
        [detection(1, { body: huge }), detection(2)],
        "logs",
        new AbortController().signal,
      );
      expect(loki.pushes.map((p) => p.status)).toEqual([204]);
      const [first, second] = loki.entries;
      expect(Buffer.byteLength(first!.line)).toBeLessThanOrEqual(LOKI.maxLineBytes);
      expect(first!.line).toBe("é".repeat(LOKI.maxLineBytes / 2));
      expect(first!.metadata.tripline_truncated).toBe("true");
      expect(second!.metadata.tripline_truncated).toBeUndefined();
      expect(sender.stats.truncatedLines).toBe(1);
    });
  });

  it("splits a batch into pushes of at most max_request_bytes, losing nothing", async () => {
    const logs = await start({ max_request_bytes: 8192, line_format: "body" });
    const records = Array.from({ length: 20 }, (_, i) =>
      detection(i, { body: `${i}:${"x".repeat(1500)}` }),
    );
    await logs.consume(records);
    expect(loki.pushes.length).toBeGreaterThan(3);
    expect(loki.pushes.every((p) => p.status === 204)).toBe(true);
    for (const push of loki.pushes) {
      const bytes = push.streams
        .flatMap((s) => s.entries)
        .reduce((n, e) => n + Buffer.byteLength(e.line), 0);
      expect(bytes).toBeLessThanOrEqual(8192);
    }
    expect(loki.entries.map((e) => Number(e.line.split(":")[0]))).toEqual(records.map((_, i) => i));
  });

  it("a batch bigger than Loki's 6 MB burst goes as several pushes, none refused", async () => {
    const logs = await start({ max_request_bytes: 6 * 1024 * 1024, line_format: "body" });
    const records = Array.from({ length: 30 }, (_, i) =>
      detection(i, { body: "y".repeat(250_000) }),
    );
    await logs.consume(records);
    expect(loki.pushes.map((p) => p.status)).toEqual([204, 204]);
    expect(loki.entries).toHaveLength(30);
  });
});

describe("loki status handling", () => {
  let loki: LokiContractServer;
  beforeEach(async () => {
    loki = await new LokiContractServer().start();
  });
  afterEach(() => loki.stop());

  async function sendOnce(answer: {
    status: number;
    body?: string;
    headers?: Record<string, string>;
  }) {
    const { sender, client } = createLokiSender(
      testContext("loki"),
      lokiConfigSchema.parse({ endpoint: loki.url }),
    );
    await client.open();
    loki.respondWith(answer);
    try {
      await sender.send([detection(1)], "logs", new AbortController().signal);
      return { sender, error: undefined };
    } catch (error) {
      return { sender, error };
    } finally {
      await client.close();
    }
  }

  it.each([
    [
      "entry with timestamp 2026-01-01 ignored, reason: 'entry too far behind, oldest acceptable timestamp is: …'",
      "too_far_behind",
    ],
    ['entry out of order for stream {a="b"}', "out_of_order"],
    ["Max entry size '262144' bytes exceeded for stream '{a=\"b\"}'", "line_too_long"],
    [
      "entry for stream '{a=\"b\"}' has timestamp too old: 2020-01-01",
      "greater_than_max_sample_age",
    ],
    ["stream '{a=\"b\"}' has 16 label names; limit 15", "max_label_names_per_series"],
    ["something unexpected", "other"],
  ])("400 %s is permanent and counted as %s", async (body, reason) => {
    const { sender, error } = await sendOnce({ status: 400, body });
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toContain("HTTP 400");
    expect(sender.stats.rejected).toEqual({ [reason]: 1 });
  });

  it("429 is retryable with Retry-After", async () => {
    const { error } = await sendOnce({
      status: 429,
      headers: { "retry-after": "7" },
      body: "rate limited",
    });
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).retryAfterMs).toBe(7000);
  });

  it.each([500, 502, 503])("%i is retryable", async (status) => {
    const { error } = await sendOnce({ status });
    expect(error).toBeInstanceOf(RetryableError);
  });

  it("401 is permanent and the password never appears in the error", async () => {
    const { sender, client } = createLokiSender(
      testContext("loki"),
      lokiConfigSchema.parse({ endpoint: loki.url, auth: { bearer_token: "tok-very-secret" } }),
    );
    await client.open();
    loki.respondWith({ status: 401, body: "Unauthorized" });
    const error = await sender
      .send([detection(1)], "logs", new AbortController().signal)
      .catch((e: unknown) => e);
    await client.close();
    expect(error).toBeInstanceOf(PermanentError);
    expect(String(error)).not.toContain("tok-very-secret");
  });

  it("an unreachable Loki is retryable", async () => {
    const { sender, client } = createLokiSender(
      testContext("loki"),
      lokiConfigSchema.parse({ endpoint: "http://127.0.0.1:1" }),
    );
    await client.open();
    const error = await sender
      .send([detection(1)], "logs", new AbortController().signal)
      .catch((e: unknown) => e);
    await client.close();
    expect(error).toBeInstanceOf(RetryableError);
  });
});
