import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import protobuf from "protobufjs";
import { readBody, ScriptedServer } from "../scripted-server.js";

/**
 * A remote write 1.0 receiver that checks what the spec requires (wire-contracts.md §4):
 * POST, Content-Encoding snappy (block format), Content-Type application/x-protobuf,
 * X-Prometheus-Remote-Write-Version 0.1.0, a User-Agent; every series has __name__, labels
 * sorted and unique, samples in timestamp order. Violations answer 400. The body is decoded
 * with protobufjs over the message text below (from prometheus/prometheus prompb/types.proto
 * and remote.proto), not with the exporter's descriptor.
 */
const PROTO = `
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; reserved 2; repeated MetricMetadata metadata = 3; }
message MetricMetadata { int32 type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
message Sample { double value = 1; int64 timestamp = 2; }
message Label { string name = 1; string value = 2; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
`;
const WriteRequest = protobuf.parse(PROTO).root.lookupType("prometheus.WriteRequest");
const snappy = createRequire(import.meta.url)("snappyjs") as {
  uncompress(b: Uint8Array): Uint8Array;
};

export interface Series {
  labels: Record<string, string>;
  samples: { value: number; timestamp: number }[];
}

export class RemoteWriteReceiver extends ScriptedServer {
  readonly requests: {
    headers: IncomingMessage["headers"];
    status: number;
    error?: string;
    series: Series[];
    bytes: number;
  }[] = [];
  protected override readonly urlPath = "/api/v1/write";

  get series(): Series[] {
    return this.requests.filter((r) => r.status === 204).flatMap((r) => r.series);
  }

  /** The latest sample of the series with exactly these labels (__name__ included). */
  value(labels: Record<string, string>): number | undefined {
    const want = JSON.stringify(Object.entries(labels).sort());
    const matches = this.series.filter(
      (s) => JSON.stringify(Object.entries(s.labels).sort()) === want,
    );
    return matches.flatMap((s) => s.samples).at(-1)?.value;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const scripted = this.script.shift();
    if (scripted) {
      this.requests.push({ headers: req.headers, status: scripted.status, series: [], bytes: 0 });
      res.writeHead(scripted.status, scripted.headers).end("scripted");
      return;
    }
    const entry = {
      headers: req.headers,
      status: 204,
      series: [] as Series[],
      bytes: 0,
      error: undefined as string | undefined,
    };
    try {
      if (req.method !== "POST") throw new Error("method must be POST");
      if (req.headers["content-encoding"] !== "snappy")
        throw new Error("Content-Encoding must be snappy");
      if (req.headers["content-type"] !== "application/x-protobuf")
        throw new Error("bad Content-Type");
      if (req.headers["x-prometheus-remote-write-version"] !== "0.1.0")
        throw new Error("bad version header");
      if (!req.headers["user-agent"]) throw new Error("User-Agent required");
      const raw = snappy.uncompress(body);
      entry.bytes = raw.length;
      const message = WriteRequest.toObject(WriteRequest.decode(raw), {
        longs: Number,
        defaults: true,
      }) as {
        timeseries: {
          labels: { name: string; value: string }[];
          samples: { value: number; timestamp: number }[];
        }[];
      };
      for (const ts of message.timeseries) {
        const names = ts.labels.map((l) => l.name);
        if (!names.includes("__name__")) throw new Error("series without __name__");
        const sorted = [...names].sort();
        if (names.some((n, i) => n !== sorted[i] || (i > 0 && n === names[i - 1]))) {
          throw new Error(`labels not sorted or repeated: ${names.join(",")}`);
        }
        if (ts.samples.some((s, i) => i > 0 && s.timestamp < ts.samples[i - 1]!.timestamp)) {
          throw new Error("samples out of order");
        }
        entry.series.push({
          labels: Object.fromEntries(ts.labels.map((l) => [l.name, l.value])),
          samples: ts.samples,
        });
      }
    } catch (error) {
      entry.status = 400;
      entry.error = String(error);
    }
    this.requests.push(entry);
    res.writeHead(entry.status).end(entry.error ?? "");
  }
}
