import { type FileHandle, mkdir, open, readdir, rename, unlink } from "node:fs/promises";
import path from "node:path";
import type { CreateContext, Exporter, Host, SignalConsumers } from "../../component/component.js";
import { errorMessage, RetryableError } from "../../component/errors.js";
import { encodeLogsRequest, encodeMetricsRequest } from "../../pdata/otlp-json.js";
import type { Signal } from "../../pdata/signal.js";
import type { FileConfig } from "./config.js";

const MIB = 1024 * 1024;

export class FileExporter implements Exporter {
  readonly consumers: SignalConsumers = {};
  readonly path: string;
  private handle: FileHandle | undefined;
  private size = 0;
  /** Every write runs after the previous one settles, so lines never interleave. */
  private tail: Promise<void> = Promise.resolve();
  private stopped = false;
  private lastBackupMs = 0;

  constructor(
    private readonly ctx: CreateContext,
    private readonly config: FileConfig,
    signals: readonly Signal[],
  ) {
    this.path = path.resolve(ctx.configDir, config.path);
    if (signals.includes("logs")) {
      this.consumers.logs = {
        consume: (batch) => this.write(encodeLogsRequest(batch)),
      };
    }
    if (signals.includes("metrics")) {
      this.consumers.metrics = {
        consume: (batch) => this.write(encodeMetricsRequest(batch)),
      };
    }
  }

  async start(_host: Host): Promise<void> {
    this.stopped = false;
    await this.open();
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.tail;
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  private write(request: object): Promise<void> {
    if (this.stopped) {
      return Promise.reject(new RetryableError(`file exporter ${this.ctx.id} is shut down`));
    }
    // Encode before queueing: the caller may reuse or mutate the batch once consume returns.
    const line = Buffer.from(`${JSON.stringify(request)}\n`);
    const result = this.tail.then(() => this.append(line));
    this.tail = result.catch(() => {});
    // Sent/failed counts are kept by the service around every exporter.
    return result.catch((error: unknown) => {
      throw new RetryableError(`writing ${this.path}: ${errorMessage(error)}`, undefined, {
        cause: error,
      });
    });
  }

  private async append(line: Buffer): Promise<void> {
    const maxBytes = this.config.rotation ? this.config.rotation.max_megabytes * MIB : Infinity;
    // A line larger than the limit still goes out, alone in a fresh file, rather than be lost.
    if (this.size > 0 && this.size + line.length > maxBytes) await this.rotate();
    const handle = this.handle ?? (await this.open());
    let offset = 0;
    while (offset < line.length) {
      const { bytesWritten } = await handle.write(line, offset, line.length - offset);
      offset += bytesWritten;
      this.size += bytesWritten;
    }
  }

  private async open(): Promise<FileHandle> {
    await mkdir(path.dirname(this.path), { recursive: true });
    const handle = await open(this.path, "a");
    this.handle = handle;
    this.size = (await handle.stat()).size;
    return handle;
  }

  private async rotate(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    // Reset first: if the rename fails, the next write reopens and re-measures the file
    // instead of retrying a rename of a file that may no longer exist.
    this.size = 0;
    await handle?.close();
    await rename(this.path, this.backupPath());
    await this.open();
    try {
      await this.pruneBackups();
    } catch (error) {
      // The line can still be written; stale backups only cost disk space.
      this.ctx.logger.warn(
        { err: error, path: this.path },
        "file exporter: pruning backups failed",
      );
    }
  }

  /** `name-2006-01-02T15-04-05.000.ext` in UTC, lumberjack's naming. */
  private backupPath(): string {
    // Two rotations in one millisecond would otherwise rename onto the previous backup.
    const ms = Math.max(Date.now(), this.lastBackupMs + 1);
    this.lastBackupMs = ms;
    const stamp = new Date(ms).toISOString().replace("Z", "").replaceAll(":", "-");
    const { dir, name, ext } = path.parse(this.path);
    return path.join(dir, `${name}-${stamp}${ext}`);
  }

  private async pruneBackups(): Promise<void> {
    const keep = this.config.rotation?.max_backups ?? 0;
    if (keep === 0) return;
    const { dir, name, ext } = path.parse(this.path);
    const pattern = new RegExp(
      `^${escapeRegExp(name)}-(\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}\\.\\d{3})${escapeRegExp(ext)}$`,
    );
    const backups = (await readdir(dir))
      .map((file) => ({ file, stamp: pattern.exec(file)?.[1] }))
      .filter((b): b is { file: string; stamp: string } => b.stamp !== undefined)
      // The fixed-width timestamp sorts chronologically as text; newest first.
      .sort((a, b) => (a.stamp < b.stamp ? 1 : a.stamp > b.stamp ? -1 : 0));
    for (const { file } of backups.slice(keep)) await unlink(path.join(dir, file));
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
