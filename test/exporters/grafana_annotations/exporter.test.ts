import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PermanentError, RetryableError } from "../../../src/component/errors.js";
import { grafanaAnnotationsConfigSchema } from "../../../src/exporters/grafana_annotations/config.js";
import { GrafanaAnnotationsExporter } from "../../../src/exporters/grafana_annotations/exporter.js";
import type { LogRecord } from "../../../src/pdata/logs.js";
import { noopHost, testContext } from "../../helpers/context.js";
import { GrafanaContractServer } from "./contract-server.js";

const T0_MS = 1_795_165_200_123;

function detection(i: number, attributes: Record<string, string> = {}): LogRecord {
  return {
    time: BigInt(T0_MS + i * 1000) * 1_000_000n + 456_789n,
    observedTime: 0n,
    severityNumber: 17,
    severityText: "high",
    eventName: "security.detection",
    body: "ignore previous instructions",
    attributes: {
      "detection.severity": "high",
      "detection.category": "prompt_injection",
      "detection.action": "blocked",
      ...attributes,
    },
    resource: { attributes: { "service.name": "support-bot" } },
    scope: { name: "tripline/test" },
  };
}

describe("grafana_annotations exporter against the Grafana contract server", () => {
  let grafana: GrafanaContractServer;
  let exporter: GrafanaAnnotationsExporter | undefined;
  let clock = 0;

  beforeEach(async () => {
    grafana = await new GrafanaContractServer().start();
    clock = 1_000_000;
  });
  afterEach(async () => {
    await exporter?.shutdown();
    exporter = undefined;
    await grafana.stop();
  });

  async function start(options: Record<string, unknown> = {}) {
    const config = grafanaAnnotationsConfigSchema.parse({
      endpoint: grafana.url,
      token: grafana.token,
      sending_queue: { enabled: false },
      retry_on_failure: { enabled: false },
      ...options,
    });
    exporter = new GrafanaAnnotationsExporter(
      testContext("grafana_annotations"),
      config,
      ["logs"],
      () => clock,
    );
    await exporter.start(noopHost);
    return exporter.consumers.logs!;
  }

  it("posts a high-severity detection with time in ms, tags and the templated text", async () => {
    const logs = await start({ dashboard_uid: "sec-overview", panel_id: 4 });
    await logs.consume([
      detection(0),
      detection(1, { "detection.severity": "medium", "detection.category": "other" }),
    ]);
    expect([...grafana.annotations.values()]).toEqual([
      {
        id: 1,
        time: T0_MS,
        tags: [
          "tripline",
          "severity:high",
          "category:prompt_injection",
          "action:blocked",
          "service:support-bot",
        ],
        text: "prompt_injection blocked on support-bot: ignore previous instructions",
        dashboardUID: "sec-overview",
        panelId: 4,
      },
    ]);
    expect(grafana.requests[0]!.headers["content-type"]).toBe("application/json");
  });

  it("min_severity decides what is high impact (severityNumber when the attribute is absent)", async () => {
    const logs = await start({ min_severity: "critical" });
    const fromNumber = {
      ...detection(2, { "detection.category": "rogue_agent" }),
      severityNumber: 21,
    };
    fromNumber.attributes = { "detection.category": "rogue_agent" };
    await logs.consume([
      detection(0),
      detection(1, { "detection.severity": "critical", "detection.category": "jailbreak" }),
      fromNumber,
    ]);
    expect(
      [...grafana.annotations.values()].map((a) => a.tags.find((t) => t.startsWith("category:"))),
    ).toEqual(["category:jailbreak", "category:rogue_agent"]);
  });

  it("turns a storm into one annotation, then writes the count and span when the window closes", async () => {
    const logs = await start({ dedup_window: "5m" });
    await logs.consume(Array.from({ length: 30 }, (_, i) => detection(i)));
    await logs.consume(Array.from({ length: 20 }, (_, i) => detection(30 + i)));
    expect(grafana.requests.map((r) => r.method)).toEqual(["POST"]);
    expect(exporter!.stats).toMatchObject({ posted: 1, deduplicated: 49 });

    clock += 5 * 60_000;
    await exporter!.shutdown();
    expect(grafana.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      "POST /api/annotations 200",
      "PATCH /api/annotations/1 200",
    ]);
    expect(grafana.annotations.get(1)).toMatchObject({
      text: "prompt_injection blocked on support-bot: ignore previous instructions (×50 within 5m)",
      time: T0_MS,
      timeEnd: T0_MS + 49_000,
    });
    expect(exporter!.stats.updated).toBe(1);
  });

  it("opens a new annotation for the same key once the window has passed (timer)", async () => {
    const logs = await start({ dedup_window: "200ms" });
    await logs.consume([detection(0), detection(1)]);
    clock += 200;
    const deadline = Date.now() + 5_000;
    while (grafana.requests.length < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(grafana.requests.map((r) => r.method)).toEqual(["POST", "PATCH"]);
    await logs.consume([detection(2)]);
    expect(grafana.requests.map((r) => r.method)).toEqual(["POST", "PATCH", "POST"]);
    expect(grafana.annotations.size).toBe(2);
  });

  it("distinct keys are separate annotations, capped by max_per_minute", async () => {
    const logs = await start({ max_per_minute: 2 });
    await logs.consume(
      ["a", "b", "c", "d", "e"].map((c, i) => detection(i, { "detection.category": c })),
    );
    expect(grafana.annotations.size).toBe(2);
    expect(exporter!.stats).toMatchObject({ posted: 2, rateLimited: 3 });
    clock += 30_000;
    await logs.consume([detection(9, { "detection.category": "f" })]);
    expect(grafana.annotations.size).toBe(3);
  });

  it("a refused token is permanent and the token is never in the error", async () => {
    const logs = await start({ token: "glsa_wrong_secret" });
    const error = await logs.consume([detection(0)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect(String(error)).toContain("HTTP 403");
    expect(String(error)).not.toContain("glsa_wrong_secret");
  });

  it("503 with Retry-After is retryable", async () => {
    const logs = await start();
    grafana.respondWith({ status: 503, headers: { "retry-after": "3" } });
    const error = await logs.consume([detection(0)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).retryAfterMs).toBe(3000);
  });

  it("refuses a template that does not compile, and panel_id without dashboard_uid", () => {
    const result = grafanaAnnotationsConfigSchema.safeParse({
      endpoint: "http://grafana:3000",
      token: "t",
      text: "{{attributes[detection]}}",
      panel_id: 2,
    });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join("."))).toEqual(["text", "panel_id"]);
  });
});
