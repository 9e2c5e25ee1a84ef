// A loopback backend that accepts what every exporter sends (OTLP/HTTP protobuf or JSON,
// Datadog Logs v2 JSON, Loki push protobuf+snappy or JSON, Prometheus remote write, plain JSON
// batches from the ceiling baseline) and records which marked events arrived, and when.
// Events are recognised by the marker in their detection id, so one code path counts every
// encoding and a duplicate (at-least-once resend) is never counted twice.
import { createServer } from "node:http";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import { decompress as zstdDecompress } from "fzstd";
import snappy from "snappyjs";
import { nowMs } from "./clock.mjs";
import { MARKER_REGEX, seqOf } from "./generate.mjs";

/** What each backend answers on success, by path suffix (first match wins). */
const ROUTES = [
  { suffix: "/loki/api/v1/push", status: 204, body: "" },
  { suffix: "/api/v2/logs", status: 202, body: "{}" },
  { suffix: "/api/v1/write", status: 204, body: "" },
  { suffix: "/v1/logs", status: 200, otlp: true },
  { suffix: "/v1/metrics", status: 200, otlp: true },
  { suffix: "", status: 200, body: '{"ok":true}' },
];

function decode(req, raw) {
  const encoding = (req.headers["content-encoding"] ?? "").toLowerCase();
  if (encoding === "gzip") return gunzipSync(raw);
  if (encoding === "deflate") return inflateSync(raw);
  if (encoding === "br") return brotliDecompressSync(raw);
  if (encoding === "zstd") return Buffer.from(zstdDecompress(raw));
  if (encoding === "snappy") return Buffer.from(snappy.uncompress(raw));
  // Loki push and remote write are block-snappy protobuf with no Content-Encoding header.
  const type = req.headers["content-type"] ?? "";
  if (type.includes("protobuf") && /\/(push|write)$/.test(req.url ?? "")) {
    return Buffer.from(snappy.uncompress(raw));
  }
  return raw;
}

export class Target {
  constructor(name, capacity) {
    this.name = name;
    this.requests = 0;
    this.bytes = 0;
    this.markers = 0;
    this.unique = 0;
    this.arrival = new Float64Array(capacity);
    this.lastArrival = 0;
  }

  get duplicates() {
    return this.markers - this.unique;
  }

  record(text, now) {
    const capacity = this.arrival.length;
    const regex = new RegExp(MARKER_REGEX);
    for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
      this.markers++;
      const seq = seqOf(m[1]);
      if (seq < capacity && this.arrival[seq] === 0) {
        this.arrival[seq] = now;
        this.unique++;
        this.lastArrival = now;
      }
    }
  }

  /** How many of the sequence numbers in [first, first + count) arrived. */
  arrivedIn(first, count) {
    let n = 0;
    for (let i = first; i < first + count; i++) if (this.arrival[i] !== 0) n++;
    return n;
  }
}

export class Sink {
  constructor(capacity) {
    this.capacity = capacity;
    this.targets = new Map();
    this.waiters = [];
    this.errors = [];
    /** target name → status to answer instead of success (e.g. 503 to stall a backend). */
    this.failWith = new Map();
  }

  target(name) {
    let t = this.targets.get(name);
    if (!t) {
      t = new Target(name, this.capacity);
      this.targets.set(name, t);
    }
    return t;
  }

  /** Resets every target (a new scenario); capacity may grow. */
  reset(capacity = this.capacity) {
    this.capacity = capacity;
    this.targets.clear();
    this.failWith.clear();
    this.errors = [];
  }

  async start() {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    await new Promise((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = this.server.address().port;
    return `http://127.0.0.1:${this.port}`;
  }

  async stop() {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve) ?? resolve());
  }

  handle(req, res) {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const now = nowMs();
      const url = (req.url ?? "/").split("?")[0];
      const name = url.split("/")[1] || "root";
      const route = ROUTES.find((r) => url.endsWith(r.suffix));
      const failure = this.failWith.get(name);
      if (failure) {
        res.writeHead(failure, { "retry-after": "1", "content-type": "application/json" });
        res.end('{"error":"stalled for the benchmark"}');
        return;
      }
      const t = this.target(name);
      try {
        const raw = Buffer.concat(chunks);
        const body = decode(req, raw);
        t.requests++;
        t.bytes += raw.length;
        // latin1 keeps protobuf bytes one-to-one with characters; markers are plain ASCII.
        t.record(body.toString("latin1"), now);
      } catch (error) {
        this.errors.push(`${url}: ${error.message}`);
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: error.message }));
        return;
      }
      if (route.otlp) {
        const json = (req.headers["content-type"] ?? "").includes("json");
        res.writeHead(200, {
          "content-type": json ? "application/json" : "application/x-protobuf",
        });
        res.end(json ? "{}" : "");
      } else {
        res.writeHead(route.status, route.body ? { "content-type": "application/json" } : {});
        res.end(route.body);
      }
      this.checkWaiters();
    });
  }

  checkWaiters() {
    this.waiters = this.waiters.filter((w) => {
      if (!w.done()) return true;
      clearTimeout(w.timer);
      w.resolve(true);
      return false;
    });
  }

  /** Resolves true once `done()` holds, false after `timeoutMs`. */
  waitUntil(done, timeoutMs) {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { done, resolve };
      waiter.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}
