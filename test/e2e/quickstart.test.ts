import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { decodeLogsRequest } from "../../src/pdata/otlp-json-decode.js";
import { type Gateway, parseMetrics, startGateway } from "./gateway.js";

const SAMPLE = readFileSync(
  join(import.meta.dirname, "../../../shared/samples/operant/detections.ndjson"),
  "utf8",
)
  .trim()
  .split("\n");

const config = `
receivers:
  detections:
    endpoint: 127.0.0.1:0
processors:
  batch:
    timeout: 50ms
exporters:
  debug:
    verbosity: normal
  file:
    path: ./data/detections.jsonl
service:
  telemetry:
    metrics:
      address: 127.0.0.1:0
  pipelines:
    logs:
      receivers: [detections]
      processors: [batch]
      exporters: [debug, file]
`;

function post(gw: Gateway, body: string, contentType = "application/json") {
  return fetch(`${gw.receiverUrl}/v1/detections`, {
    method: "POST",
    headers: { "content-type": contentType },
    body,
  });
}

function fileRecords(gw: Gateway) {
  const text = readFileSync(join(gw.dir, "data/detections.jsonl"), "utf8");
  return text
    .trim()
    .split("\n")
    .filter(Boolean)
    .flatMap((line) => decodeLogsRequest(JSON.parse(line)));
}

describe("quick start path", () => {
  let gw: Gateway | undefined;
  afterEach(async () => {
    await gw?.stop("SIGKILL");
    gw = undefined;
  });

  it("a POSTed detection comes out in the debug output and the file", async () => {
    gw = await startGateway(config);
    const res = await post(gw, SAMPLE[0]!);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 1 });
    const id = (JSON.parse(SAMPLE[0]!) as { detection_id: string }).detection_id;

    // 200 means the batch reached both exporters, so no waiting is needed.
    expect(gw.stdout()).toContain(id);
    const records = fileRecords(gw);
    expect(records).toHaveLength(1);
    expect((records[0]!.body as Record<string, unknown>).detection_id).toBe(id);
    expect(await gw.stop()).toBe(0);
  });

  it("accepts an array and NDJSON, refuses malformed JSON with its position, keeps good lines", async () => {
    gw = await startGateway(config);
    expect(await (await post(gw, `[${SAMPLE.slice(0, 3).join(",")}]`)).json()).toEqual({
      accepted: 3,
    });
    const ndjson = await post(gw, SAMPLE.slice(3, 8).join("\n"), "application/x-ndjson");
    expect(await ndjson.json()).toEqual({ accepted: 5 });

    const bad = await post(gw, '{"severity": "high",\n "category": }');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(
      /^invalid JSON at line 2 column 14/,
    );
    // One bad NDJSON line does not cost the good ones (partial acceptance).
    const mixed = await post(gw, `${SAMPLE[0]}\n{nope}`, "application/x-ndjson");
    expect(mixed.status).toBe(200);
    const report = (await mixed.json()) as {
      accepted: number;
      rejected: number;
      errors: { index: number; line: number; error: string }[];
    };
    expect(report.accepted).toBe(1);
    expect(report.rejected).toBe(1);
    expect(report.errors[0]).toMatchObject({ index: 1, line: 2 });
    expect(report.errors[0]!.error).toMatch(/^invalid JSON at line 2 column 2/);
    expect(fileRecords(gw)).toHaveLength(9);
  });

  it("self-telemetry counters match what was sent", async () => {
    gw = await startGateway(config);
    const sizes = [1, 4, 7, 2];
    for (const n of sizes) {
      expect((await post(gw, SAMPLE.slice(0, n).join("\n"), "application/x-ndjson")).status).toBe(
        200,
      );
    }
    expect((await post(gw, "not json")).status).toBe(400);
    const total = sizes.reduce((a, b) => a + b, 0);

    const metrics = parseMetrics(await (await fetch(`${gw.telemetryUrl}/metrics`)).text());
    expect(
      metrics.get(
        'tripline_receiver_accepted_log_records_total{receiver="detections",transport="http"}',
      ),
    ).toBe(total);
    expect(
      metrics.get(
        'tripline_processor_incoming_items_total{processor="batch",pipeline="logs",otel_signal="logs"}',
      ),
    ).toBe(total);
    expect(
      metrics.get(
        'tripline_processor_outgoing_items_total{processor="batch",pipeline="logs",otel_signal="logs"}',
      ),
    ).toBe(total);
    expect(metrics.get('tripline_exporter_sent_log_records_total{exporter="debug"}')).toBe(total);
    expect(metrics.get('tripline_exporter_sent_log_records_total{exporter="file"}')).toBe(total);
    expect(fileRecords(gw)).toHaveLength(total);

    expect((await fetch(`${gw.telemetryUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${gw.telemetryUrl}/readyz`)).status).toBe(200);
  });
});
