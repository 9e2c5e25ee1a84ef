// The load client: POSTs pre-built batches over keep-alive HTTP (undici), either closed-loop at
// a fixed concurrency (maximum throughput) or open-loop at a fixed rate (latency). A 429/503 is
// retried after its Retry-After, like a well-behaved sender, so nothing it was refused is lost.
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { Pool } from "undici";

const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

/** Groups pre-serialised items into request bodies of `size` items. */
export function ndjsonBatches(lines, first, size) {
  const batches = [];
  for (let i = 0; i < lines.length; i += size) {
    const part = lines.slice(i, i + size);
    batches.push({
      body: Buffer.from(`${part.join("\n")}\n`),
      first: first + i,
      count: part.length,
    });
  }
  return batches;
}

export class LoadClient {
  constructor(origin, { path, contentType, connections }) {
    this.pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
    this.path = path;
    this.headers = { "content-type": contentType };
    this.status = {};
    this.retries = 0;
    this.failed = 0;
    this.errors = [];
  }

  /** Sends one batch until it is accepted or refused for good; returns true when accepted. */
  async send(batch) {
    for (let attempt = 0; ; attempt++) {
      let status;
      let retryAfter;
      try {
        const res = await this.pool.request({
          method: "POST",
          path: this.path,
          headers: this.headers,
          body: batch.body,
        });
        status = res.statusCode;
        retryAfter = Number(res.headers["retry-after"]);
        const text = await res.body.text();
        if (status >= 300 && !RETRYABLE.has(status) && this.errors.length < 5) {
          this.errors.push(`${status} ${text.slice(0, 300)}`);
        }
      } catch (error) {
        status = "error";
        if (this.errors.length < 5) this.errors.push(error.message);
      }
      this.status[status] = (this.status[status] ?? 0) + 1;
      if (typeof status === "number" && status < 300) return true;
      if (status !== "error" && !RETRYABLE.has(status)) {
        this.failed += batch.count;
        return false;
      }
      if (attempt > 1000) {
        this.failed += batch.count;
        return false;
      }
      this.retries++;
      // Honour Retry-After but stay responsive: a benchmark sender waits at most 1 s.
      await sleep(Number.isFinite(retryAfter) ? Math.min(retryAfter * 1000, 1000) : 50);
    }
  }

  /** Closed loop: `concurrency` senders, each posting its next batch once the last was answered. */
  async closedLoop(batches, concurrency, sentAt) {
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        const now = performance.now();
        sentAt?.fill(now, batch.first, batch.first + batch.count);
        await this.send(batch);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  /** Open loop: one batch every `intervalMs`, whatever the answers; schedule is drift-free. */
  async openLoop(batches, intervalMs, sentAt) {
    const start = performance.now();
    const inflight = [];
    for (let i = 0; i < batches.length; i++) {
      const due = start + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const batch = batches[i];
      sentAt.fill(performance.now(), batch.first, batch.first + batch.count);
      inflight.push(this.send(batch));
    }
    await Promise.all(inflight);
  }

  async close() {
    await this.pool.close();
  }
}
