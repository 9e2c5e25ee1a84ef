// The load client: POSTs pre-built batches over keep-alive HTTP (undici), either closed-loop at
// a fixed concurrency (maximum throughput) or open-loop at a fixed rate (latency). A 429/503 is
// retried after its Retry-After, like a well-behaved sender, so nothing it was refused is lost.
// It runs in a process of its own (client-process.mjs, driven through ClientProcess), so its
// CPU time is measured apart from the sink's and the gateway's.
import { fork } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Pool } from "undici";
import { nowMs } from "./clock.mjs";

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
    /** Events whose request was answered 2xx: what the gateway acknowledged. */
    this.accepted = 0;
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
      if (typeof status === "number" && status < 300) {
        this.accepted += batch.count;
        return true;
      }
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
        const now = nowMs();
        sentAt?.fill(now, batch.first, batch.first + batch.count);
        await this.send(batch);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  /** Open loop: one batch every `intervalMs`, whatever the answers; schedule is drift-free. */
  async openLoop(batches, intervalMs, sentAt) {
    const start = nowMs();
    const inflight = [];
    for (let i = 0; i < batches.length; i++) {
      const due = start + i * intervalMs;
      const wait = due - nowMs();
      if (wait > 1) await sleep(wait);
      const batch = batches[i];
      sentAt.fill(nowMs(), batch.first, batch.first + batch.count);
      inflight.push(this.send(batch));
    }
    await Promise.all(inflight);
  }

  async close() {
    await this.pool.close();
  }
}

/**
 * The harness's handle on the load client's process. Each call names a set of events the client
 * built itself from the same seed (nothing large crosses the IPC channel) and answers with what
 * happened: first send time, accepted events, answers by status.
 */
export class ClientProcess {
  constructor(init) {
    this.proc = fork(fileURLToPath(new URL("./client-process.mjs", import.meta.url)), [], {
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.next = 0;
    this.pending = new Map();
    this.proc.on("message", ({ id, result, error }) => {
      const call = this.pending.get(id);
      this.pending.delete(id);
      if (error === undefined) call?.resolve(result);
      else call?.reject(new Error(`load client: ${error}`));
    });
    this.proc.on("exit", (code, signal) => {
      for (const call of this.pending.values()) {
        call.reject(new Error(`load client exited (${code ?? signal})`));
      }
      this.pending.clear();
    });
    this.ready = this.call("init", init);
  }

  get pid() {
    return this.proc.pid;
  }

  call(op, args = {}) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.proc.send({ id, op, args });
    });
  }

  async stop() {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((resolve) => this.proc.once("exit", resolve));
    this.proc.disconnect();
    await exited;
  }
}
