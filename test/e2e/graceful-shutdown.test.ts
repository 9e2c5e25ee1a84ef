import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeLogsRequest } from "../../src/pdata/otlp-json-decode.js";
import { startGateway } from "./gateway.js";

// A long batch timeout keeps data buffered in the processor when SIGTERM arrives, so the test
// proves the drain path rather than luck.
const config = `
receivers:
  detections:
    endpoint: 127.0.0.1:0
processors:
  batch:
    send_batch_size: 5
    timeout: 2s
exporters:
  file:
    path: ./out.jsonl
service:
  telemetry:
    metrics:
      address: 127.0.0.1:0
  shutdown_timeout: 20s
  pipelines:
    logs:
      receivers: [detections]
      processors: [batch]
      exporters: [file]
`;

describe("graceful shutdown", () => {
  it("every detection acknowledged with 2xx before SIGTERM is in the file exporter's output", async () => {
    const gw = await startGateway(config);
    const acknowledged: string[] = [];
    const refused: string[] = [];
    let stop = false;
    let next = 0;

    const sender = async () => {
      while (!stop) {
        const id = `det-${next++}`;
        try {
          const res = await fetch(`${gw.receiverUrl}/v1/detections`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ detection_id: id, severity: "high" }),
          });
          await res.text();
          (res.status === 200 ? acknowledged : refused).push(id);
        } catch {
          refused.push(id); // connection refused or reset: the sender still holds the data
          if (gw.process.exitCode !== null) return;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    };
    const senders = Array.from({ length: 8 }, sender);
    // SIGTERM once traffic is flowing (a count, not a fixed delay: CI machines vary in speed).
    const deadline = Date.now() + 20_000;
    while (acknowledged.length < 50 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    gw.process.kill("SIGTERM");
    const code = await gw.exited;
    stop = true;
    await Promise.all(senders);

    expect(code).toBe(0);
    expect(acknowledged.length).toBeGreaterThanOrEqual(50);
    const written = new Set(
      readFileSync(join(gw.dir, "out.jsonl"), "utf8")
        .trim()
        .split("\n")
        .flatMap((line) => decodeLogsRequest(JSON.parse(line)))
        .map((r) => (r.body as { detection_id: string }).detection_id),
    );
    const missing = acknowledged.filter((id) => !written.has(id));
    expect(missing).toEqual([]);
  });
});
