import { type FileHandle, mkdir, open, stat } from "node:fs/promises";
import path from "node:path";
import type { LogBatch } from "../pdata/logs.js";
import type { MetricBatch } from "../pdata/metrics.js";
import { encodeLogsRequest, encodeMetricsRequest } from "../pdata/otlp-json.js";
import type { Signal } from "../pdata/signal.js";

export type DeadLetterReason = "permanent" | "retries_exhausted" | "queue_full" | "shutdown";

/**
 * Where batches go that could not be delivered: one JSON line each with the time, exporter,
 * signal, reason, error and the batch as an OTLP/JSON request, so an operator can inspect it
 * and replay it (e.g. with an OTLP client) once the cause is fixed. Each line is synced to disk
 * before the batch leaves the queue.
 */
export class DeadLetterFile {
  private handle: FileHandle | undefined;
  private tail: Promise<void> = Promise.resolve();
  private file: string | undefined;

  constructor(
    private readonly configured: string,
    private readonly exporterId: string,
  ) {}

  /** The file written to; a directory gets one file per exporter. */
  async resolvePath(): Promise<string> {
    if (this.file) return this.file;
    let isDir = /[/\\]$/.test(this.configured);
    if (!isDir)
      isDir = await stat(this.configured).then(
        (s) => s.isDirectory(),
        () => false,
      );
    this.file = isDir
      ? path.join(this.configured, `${encodeURIComponent(this.exporterId)}.deadletter.jsonl`)
      : this.configured;
    return this.file;
  }

  write(signal: Signal, batch: LogBatch | MetricBatch, reason: DeadLetterReason, error: string) {
    const line = `${JSON.stringify({
      time: new Date().toISOString(),
      exporter: this.exporterId,
      signal,
      reason,
      error,
      request:
        signal === "logs"
          ? encodeLogsRequest(batch as LogBatch)
          : encodeMetricsRequest(batch as MetricBatch),
    })}\n`;
    const result = this.tail.then(() => this.append(line));
    this.tail = result.catch(() => {});
    return result;
  }

  async close(): Promise<void> {
    await this.tail;
    await this.handle?.close();
    this.handle = undefined;
  }

  private async append(line: string): Promise<void> {
    if (!this.handle) {
      const file = await this.resolvePath();
      await mkdir(path.dirname(file), { recursive: true });
      this.handle = await open(file, "a");
    }
    await this.handle.write(line);
    await this.handle.datasync();
  }
}
