import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { gunzipSync } from "node:zlib";
import protobuf from "protobufjs";
import { readBody, type Scripted, ScriptedServer } from "../scripted-server.js";

/**
 * A local Loki push endpoint that enforces the documented contract (wire-contracts.md §3), so
 * exporter tests fail the way a real Loki would:
 * - POST /loki/api/v1/push only; Content-Type application/x-protobuf (snappy block body) or
 *   application/json (optionally Content-Encoding: gzip); anything else → 415/400;
 * - the protobuf body is decoded with snappyjs and protobufjs reflection over push.proto's
 *   text below (written from grafana/loki pkg/push/push.proto), not the exporter's descriptor;
 * - label names `[a-zA-Z_][a-zA-Z0-9_]*`, not `__…`, at least one, at most 15 per stream,
 *   values ≤ 2048 bytes → 400 with Loki's messages;
 * - lines ≤ 256 KB (max_line_size) → 400 "Max entry size … exceeded";
 * - entries of a stream in time order → 400 "entry out of order";
 * - structured metadata: flat string → string;
 * - more than 6 MB of lines in one push (ingestion_burst_size_mb) → 429;
 * - with `tenant` set, X-Scope-OrgID must match (401 "no org id" when missing).
 * Scripted answers (`respondWith`) answer the next requests before any check.
 */
export const LOKI = {
  maxLineBytes: 256 * 1024,
  maxLabelNames: 15,
  maxValueBytes: 2048,
  burstBytes: 6 * 1024 * 1024,
};

const TIMESTAMP_PROTO = `
syntax = "proto3";
package google.protobuf;
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
`;

const PUSH_PROTO = `
syntax = "proto3";
package logproto;
import "google/protobuf/timestamp.proto";
message PushRequest { repeated StreamAdapter streams = 1; string format = 2; }
message StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
message LabelPairAdapter { string name = 1; string value = 2; }
message EntryAdapter {
  google.protobuf.Timestamp timestamp = 1;
  string line = 2;
  repeated LabelPairAdapter structuredMetadata = 3;
  repeated LabelPairAdapter parsed = 4;
}
`;

const root = new protobuf.Root();
protobuf.parse(TIMESTAMP_PROTO, root);
protobuf.parse(PUSH_PROTO, root);
const PushRequest = root.lookupType("logproto.PushRequest");
const snappy = createRequire(import.meta.url)("snappyjs") as {
  uncompress(b: Uint8Array): Uint8Array;
};

export interface ReceivedEntry {
  /** Nanoseconds since the epoch, as a decimal string. */
  ts: string;
  line: string;
  metadata: Record<string, string>;
}

export interface ReceivedStream {
  labels: Record<string, string>;
  entries: ReceivedEntry[];
}

export interface RecordedPush {
  headers: IncomingMessage["headers"];
  encoding: "protobuf" | "json";
  status: number;
  body: string;
  streams: ReceivedStream[];
  /** The body as it came on the wire. */
  raw: Buffer;
}

export type { Scripted };

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Parses a Prometheus-style selector `{a="x", b="y"}` (Loki's StreamAdapter.labels). */
export function parseSelector(text: string): Record<string, string> {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{") || !trimmed.endsWith("}"))
    throw new Refusal(400, `error parsing labels ${text}`);
  const labels: Record<string, string> = {};
  const pattern = /\s*([^=\s]+)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  const inner = trimmed.slice(1, -1);
  pattern.lastIndex = 0;
  while (pattern.lastIndex < inner.length) {
    const match = pattern.exec(inner);
    if (!match) throw new Refusal(400, `error parsing labels ${text}`);
    labels[match[1]!] = JSON.parse(`"${match[2]!}"`) as string;
  }
  return labels;
}

export class LokiContractServer extends ScriptedServer {
  readonly pushes: RecordedPush[] = [];

  constructor(readonly options: { tenant?: string; authorization?: string } = {}) {
    super();
  }

  /** Every accepted entry, by stream selector. */
  get streams(): ReceivedStream[] {
    return this.pushes.filter((p) => p.status === 204).flatMap((p) => p.streams);
  }

  get entries(): (ReceivedEntry & { labels: Record<string, string> })[] {
    return this.streams.flatMap((s) => s.entries.map((e) => ({ ...e, labels: s.labels })));
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const scripted = this.script.shift();
    if (scripted) {
      res.writeHead(scripted.status, scripted.headers).end(scripted.body ?? "");
      return;
    }
    const push: RecordedPush = {
      headers: req.headers,
      encoding: "json",
      status: 204,
      body: "",
      streams: [],
      raw,
    };
    try {
      if (req.method !== "POST" || (req.url ?? "").split("?")[0] !== "/loki/api/v1/push") {
        throw new Refusal(404, "404 page not found");
      }
      if (this.options.authorization && req.headers.authorization !== this.options.authorization) {
        throw new Refusal(401, "Unauthorized");
      }
      if (this.options.tenant !== undefined) {
        if (!req.headers["x-scope-orgid"]) throw new Refusal(401, "no org id");
        if (req.headers["x-scope-orgid"] !== this.options.tenant)
          throw new Refusal(401, "unknown tenant");
      }
      const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim();
      if (type === "application/x-protobuf") {
        push.encoding = "protobuf";
        push.streams = decodeProtobuf(raw);
      } else if (type === "application/json") {
        const body = req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw;
        push.streams = decodeJson(body.toString("utf8"));
      } else {
        throw new Refusal(415, `unsupported Content-Type ${type}`);
      }
      validate(push.streams);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      push.status = error.status;
      push.body = error.message;
    }
    this.pushes.push(push);
    res.writeHead(push.status, { "content-type": "text/plain" }).end(push.body);
  }
}

function decodeProtobuf(raw: Buffer): ReceivedStream[] {
  let bytes: Uint8Array;
  try {
    bytes = snappy.uncompress(raw);
  } catch (error) {
    throw new Refusal(400, `snappy: ${String(error)}`);
  }
  const message = PushRequest.toObject(PushRequest.decode(bytes), {
    longs: String,
    defaults: true,
  }) as {
    streams: {
      labels: string;
      entries: {
        timestamp?: { seconds: string; nanos: number };
        line: string;
        structuredMetadata: { name: string; value: string }[];
      }[];
    }[];
  };
  return message.streams.map((s) => ({
    labels: parseSelector(s.labels),
    entries: s.entries.map((e) => ({
      ts: (
        BigInt(e.timestamp?.seconds ?? "0") * 1_000_000_000n +
        BigInt(e.timestamp?.nanos ?? 0)
      ).toString(),
      line: e.line,
      metadata: Object.fromEntries(e.structuredMetadata.map((p) => [p.name, p.value])),
    })),
  }));
}

function decodeJson(text: string): ReceivedStream[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Refusal(400, "loghttp: invalid JSON");
  }
  const streams = (body as { streams?: unknown }).streams;
  if (!Array.isArray(streams)) throw new Refusal(400, "loghttp: streams must be an array");
  return streams.map((s: { stream?: unknown; values?: unknown }) => {
    if (typeof s.stream !== "object" || s.stream === null)
      throw new Refusal(400, "stream must be an object");
    for (const v of Object.values(s.stream))
      if (typeof v !== "string") throw new Refusal(400, "label values must be strings");
    if (!Array.isArray(s.values)) throw new Refusal(400, "values must be an array");
    return {
      labels: s.stream as Record<string, string>,
      entries: s.values.map((v: unknown) => {
        if (!Array.isArray(v) || v.length < 2 || v.length > 3)
          throw new Refusal(400, "each value is [ts, line, metadata?]");
        const [ts, line, metadata = {}] = v as [unknown, unknown, unknown];
        if (typeof ts !== "string" || !/^\d+$/.test(ts))
          throw new Refusal(400, "timestamp must be a string of ns digits");
        if (typeof line !== "string") throw new Refusal(400, "line must be a string");
        if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
          throw new Refusal(400, "structured metadata must be an object");
        }
        for (const m of Object.values(metadata)) {
          if (typeof m !== "string")
            throw new Refusal(400, "structured metadata values must be strings");
        }
        return { ts, line, metadata: metadata as Record<string, string> };
      }),
    };
  });
}

function validate(streams: ReceivedStream[]): void {
  let lineBytes = 0;
  for (const stream of streams) {
    const names = Object.keys(stream.labels);
    const selector = JSON.stringify(stream.labels);
    if (names.length === 0)
      throw new Refusal(400, "error at least one label pair is required per stream");
    if (names.length > LOKI.maxLabelNames) {
      throw new Refusal(
        400,
        `stream '${selector}' has ${names.length} label names; limit ${LOKI.maxLabelNames}`,
      );
    }
    for (const name of names) {
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) || name.startsWith("__")) {
        throw new Refusal(400, `error parsing labels ${selector}: invalid label name ${name}`);
      }
      if (Buffer.byteLength(stream.labels[name]!) > LOKI.maxValueBytes) {
        throw new Refusal(400, `label value too long: ${name}`);
      }
    }
    let previous = -1n;
    for (const entry of stream.entries) {
      const ts = BigInt(entry.ts);
      if (ts < previous) throw new Refusal(400, `entry out of order for stream ${selector}`);
      previous = ts;
      const length = Buffer.byteLength(entry.line);
      if (length > LOKI.maxLineBytes) {
        throw new Refusal(
          400,
          `Max entry size '${LOKI.maxLineBytes}' bytes exceeded for stream '${selector}' while adding an entry with length '${length}' bytes`,
        );
      }
      lineBytes += length;
    }
  }
  if (lineBytes > LOKI.burstBytes) {
    throw new Refusal(
      429,
      "Ingestion rate limit exceeded (limit: 4194304 bytes/sec) while attempting to ingest lines",
    );
  }
}
