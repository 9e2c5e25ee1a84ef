import { describe, expect, it } from "vitest";
import { PermanentError, RetryableError } from "../../../src/component/errors.js";
import { datadogEventsConfigSchema } from "../../../src/exporters/datadog_events/config.js";
import { createDatadogEventsSender } from "../../../src/exporters/datadog_events/exporter.js";
import { datadogEventsFactory } from "../../../src/exporters/datadog_events/factory.js";
import type { LogRecord } from "../../../src/pdata/logs.js";
import { noopHost } from "../../helpers/context.js";
import {
  execlaveTrace,
  falcoAlert,
  observedContext,
  operantDetection,
} from "../datadog/helpers.js";
import { intakeConfig, intakePerTest, rejection } from "../datadog/intake.js";

const intake = intakePerTest();

function config(overrides: Record<string, unknown> = {}) {
  return intakeConfig(datadogEventsConfigSchema, intake.server, overrides);
}

/** The Sender alone, with a clock the test moves. */
function sender(overrides: Record<string, unknown> = {}) {
  const observed = observedContext("datadog_events");
  const clock = { ms: 0 };
  const built = createDatadogEventsSender(observed.ctx, config(overrides), () => clock.ms);
  intake.cleanups.push(built.close);
  const send = (batch: LogRecord[]) => built.sender.send(batch, "logs", AbortSignal.timeout(5000));
  return { ...observed, send, clock };
}

function withSeverity(severity: string): LogRecord {
  const record = operantDetection();
  record.attributes = { ...record.attributes, "detection.severity": severity };
  return record;
}

describe("datadog_events exporter", () => {
  it("posts one event per record with the default templates", async () => {
    const observed = observedContext("datadog_events");
    const exporter = datadogEventsFactory.create(
      observed.ctx,
      config({ tags: ["team:secops"], source_type_name: "tripline" }),
      ["logs"],
    );
    await exporter.start(noopHost);
    intake.cleanups.push(() => exporter.shutdown());
    await exporter.consumers.logs!.consume([falcoAlert(), operantDetection()]);

    expect(intake.server.requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ["POST", "/api/v1/events", 202],
      ["POST", "/api/v1/events", 202],
    ]);
    expect(intake.server.requests[0]!.headers["dd-api-key"]).toBe(intake.server.apiKey);
    expect(intake.server.events[0]).toEqual({
      title: "critical runtime_threat observed on unknown",
      text:
        "Shell spawned in a container with an attached terminal (user=root k8s.pod=web-7f9c)\n\n" +
        "rule: Terminal shell in container · policy: - · source: falco · id: -",
      alert_type: "error",
      priority: "normal",
      date_happened: 1_795_165_300,
      aggregation_key: "runtime_threat/",
      tags: [
        "team:secops",
        "cluster:prod-eu-west-1",
        "severity:critical",
        "category:runtime_threat",
        "action:observed",
      ],
      host: "node-3",
      source_type_name: "tripline",
    });
    expect(intake.server.events[1]).toMatchObject({
      title: "high data_exfiltration blocked on billing-agent",
      aggregation_key: "data_exfiltration/billing-agent",
      date_happened: 1_795_165_200,
    });
  });

  it.each([
    ["critical", "error"],
    ["high", "error"],
    ["medium", "warning"],
    ["low", "warning"],
    ["info", "info"],
  ])("sends severity %s as alert_type %s", async (severity, alertType) => {
    const { send } = sender();
    await send([withSeverity(severity)]);
    expect(intake.server.events[0]!.alert_type).toBe(alertType);
  });

  it("uses configured templates and cuts text and aggregation key to Datadog's limits", async () => {
    const { send } = sender({
      title: '{{attributes["detection.category"]}} on {{resource.attributes["service.name"]}}',
      text: '{{attributes["pad"]}}',
      aggregation_key: '{{attributes["pad"]}}',
      priority: "low",
    });
    const record = operantDetection();
    record.attributes = { ...record.attributes, pad: "x".repeat(5000) };
    await send([record]);
    const event = intake.server.events[0]!;
    expect(event.title).toBe("data_exfiltration on billing-agent-svc");
    expect(event.priority).toBe("low");
    expect((event.text as string).length).toBe(4000);
    expect((event.aggregation_key as string).length).toBe(100);
  });

  it("drops events over max_events_per_minute, counts them and logs once a minute", async () => {
    const { send, clock, counter, logs } = sender({ max_events_per_minute: 3 });
    const records = () => Array.from({ length: 5 }, () => execlaveTrace());
    await send(records());
    expect(intake.server.events).toHaveLength(3);

    clock.ms = 20_000; // one token back (3 per minute)
    await send(records());
    expect(intake.server.events).toHaveLength(4);

    const dropped = await counter("tripline_exporter_rate_limited_log_records", {
      exporter: "datadog_events",
    });
    expect(dropped).toBe(6);
    let warnings = logs().filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ dropped: 1, max_events_per_minute: 3 });

    clock.ms = 61_000;
    await send(Array.from({ length: 5 }, () => execlaveTrace()));
    warnings = logs().filter((l) => l.level === 40);
    expect(warnings).toHaveLength(2);
    // The next line sums every drop since the first: 1 more of the first batch, 4 of the
    // second, and the drop that triggered it (2 tokens came back in 41 s).
    expect(warnings[1]!.dropped).toBe(1 + 4 + 1);
    expect(intake.server.events).toHaveLength(6);
  });

  it("treats 429 as retryable with Retry-After and 400 as permanent", async () => {
    const { send } = sender();
    intake.server.respondWith({ status: 429, headers: { "retry-after": "12" } }, { status: 400 });
    const retry = (await rejection(send([operantDetection()]))) as RetryableError;
    expect(retry).toBeInstanceOf(RetryableError);
    expect(retry.retryAfterMs).toBe(12_000);
    expect(await rejection(send([operantDetection()]))).toBeInstanceOf(PermanentError);
  });

  it("reports a refused key once, counted, without the key", async () => {
    const { send, logs, lines, counter } = sender({
      api_key: "wrong-key-123",
      site: "ap1.datadoghq.com",
    });
    for (let i = 0; i < 3; i++) {
      expect(await rejection(send([operantDetection()]))).toBeInstanceOf(PermanentError);
    }
    const errors = logs().filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toContain("check api_key for site ap1.datadoghq.com");
    expect(await counter("tripline_exporter_auth_failures", { exporter: "datadog_events" })).toBe(
      3,
    );
    expect(lines.join("\n")).not.toContain("wrong-key-123");
  });
});
