import type { Stats } from "node:fs";
import { type FileHandle, stat } from "node:fs/promises";
import path from "node:path";
import { glob } from "tinyglobby";
import type { Consumer, CreateContext, Receiver } from "../../component/component.js";
import { errorMessage, isPermanent, RetryableError } from "../../component/errors.js";
import { memoryPressure, pressureMessage } from "../../component/memory-pressure.js";
import type { LogBatch } from "../../pdata/logs.js";
import { nowNanos } from "../../pdata/logs.js";
import type { Resource, Scope } from "../../pdata/resource.js";
import type { Attributes } from "../../pdata/value.js";
import type { ReceiverTelemetry } from "../../telemetry/telemetry.js";
import { type DeadLetterEntry, DeadLetterWriter } from "../internal/dead-letter.js";
import { checkItem, isJsonObject, jsonTypeName } from "../internal/json-item.js";
import { itemRecord } from "../internal/records.js";
import { type Checkpoint, CheckpointStore } from "./checkpoint.js";
import type { FileReceiverConfig } from "./config.js";
import { type Batch, endPosition, fileKey, type Position, TrackedFile } from "./tracked-file.js";

const SCOPE: Scope = { name: "tripline/receiver/file" };
const RESOURCE: Resource = { attributes: {} };
/** Rejected lines logged one by one per batch; the rest are only counted in the log line. */
const MAX_LOGGED_REJECTS = 10;

/** Downstream refused for now: stop this poll and offer the same lines again later. */
class Paused extends Error {
  constructor(
    readonly retryAfterMs: number | undefined,
    cause: unknown,
  ) {
    super(errorMessage(cause), { cause });
  }
}

/**
 * Tails NDJSON files like the Collector's filelog receiver: each line becomes one log record
 * whose body is the line's object. Offsets advance (and are checkpointed) only after
 * downstream accepted the lines, so delivery is at-least-once.
 */
export class FileReceiver implements Receiver {
  private readonly telemetry: ReceiverTelemetry;
  private readonly files = new Map<string, TrackedFile>();
  private readonly store: CheckpointStore | undefined;
  private readonly deadLetter: DeadLetterWriter | undefined;
  /** Checkpoints from the last run not yet matched to a file. */
  private saved: Checkpoint[] = [];
  private firstPoll = true;
  /** True while start() looks for the files that start_at applies to. */
  private startupScan = false;
  private stopping = false;
  /** Started in a worker other than worker 1: reads nothing. */
  private idle = false;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();
  private backoffMs = 0;

  constructor(
    private readonly ctx: CreateContext,
    private readonly config: FileReceiverConfig,
    private readonly next: Consumer<LogBatch>,
  ) {
    this.telemetry = ctx.telemetry.receiver(ctx.id, "file");
    this.store = config.storage
      ? new CheckpointStore(path.resolve(ctx.configDir, config.storage), ctx.id)
      : undefined;
    this.deadLetter = config.dead_letter
      ? new DeadLetterWriter(ctx.id, config.dead_letter.path, ctx.configDir)
      : undefined;
  }

  async start(): Promise<void> {
    this.stopping = false;
    // Under `--workers`, several workers tailing the same files would deliver every line once
    // per worker: worker 1 tails them, the others stay idle (and never touch the checkpoints).
    const worker = Number(process.env.TRIPLINE_WORKER_ID ?? 1);
    if (worker > 1) {
      this.idle = true;
      this.ctx.logger.info(
        { include: this.config.include, worker },
        "file receiver idle: only worker 1 tails files",
      );
      return;
    }
    this.saved = (await this.store?.load()) ?? [];
    // Positions for start_at: end are taken now, so every line written once start() has
    // resolved is delivered, however late the first poll runs.
    this.startupScan = true;
    try {
      await this.discover();
    } finally {
      this.startupScan = false;
    }
    this.ctx.logger.info(
      { include: this.config.include, checkpoints: this.store?.path },
      "file receiver started",
    );
    this.schedule(0);
  }

  async shutdown(): Promise<void> {
    this.stopping = true;
    if (this.idle) return;
    clearTimeout(this.timer);
    await this.polling;
    await this.saveCheckpoints().catch((error: unknown) =>
      this.ctx.logger.error({ err: errorMessage(error) }, "file receiver: saving checkpoints"),
    );
    for (const file of this.files.values()) await file.close();
    this.files.clear();
    await this.deadLetter?.close();
  }

  /** Runs one poll now and waits for it (tests and shutdown use this). */
  pollNow(): Promise<void> {
    clearTimeout(this.timer);
    this.polling = this.polling.then(() => this.runPoll());
    return this.polling;
  }

  private schedule(delayMs: number): void {
    if (this.stopping) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.polling = this.polling.then(() => this.runPoll());
    }, delayMs);
  }

  private async runPoll(): Promise<void> {
    if (this.stopping || this.idle) return;
    let delay = this.config.poll_interval;
    try {
      await this.poll();
      this.backoffMs = 0;
    } catch (error) {
      if (error instanceof Paused) {
        const { initial_interval, max_interval } = this.config.retry_on_failure;
        this.backoffMs = this.backoffMs
          ? Math.min(this.backoffMs * 2, max_interval)
          : initial_interval;
        delay = Math.max(this.backoffMs, error.retryAfterMs ?? 0);
        this.ctx.logger.warn(
          { err: error.message, retryInMs: delay },
          "file receiver: downstream refused or memory is short; pausing and retrying the same lines",
        );
      } else {
        this.ctx.logger.error({ err: errorMessage(error) }, "file receiver: poll failed");
      }
    }
    this.schedule(delay);
  }

  private async poll(): Promise<void> {
    await this.discover();
    // Files rotated away first: their lines are older than those of their replacements.
    const files = [...this.files.values()].sort(
      (a, b) => b.missedPolls - a.missedPolls || a.path.localeCompare(b.path),
    );
    for (const file of files) {
      if (this.stopping) return;
      // Kept one extra poll after it left the include paths, for late writes to it.
      const final = file.missedPolls >= 2;
      await this.drain(file, final);
      if (final) {
        this.files.delete(file.key);
        await file.close();
        await this.saveCheckpoints();
      }
    }
    if (this.firstPoll) {
      this.firstPoll = false;
      this.saved = [];
    }
  }

  private async discover(): Promise<void> {
    const paths = await glob(this.config.include, {
      cwd: this.ctx.configDir,
      ignore: this.config.exclude,
      absolute: true,
      onlyFiles: true,
    });
    const seen = new Set<string>();
    for (const filePath of paths.sort()) {
      let stats: Stats;
      try {
        stats = await stat(filePath);
      } catch {
        continue; // gone between the glob and the stat
      }
      const key = fileKey(stats);
      if (seen.has(key)) continue; // a hard link, or matched twice
      const known = this.files.get(key);
      if (known) {
        seen.add(key);
        known.path = filePath;
        known.missedPolls = 0;
        if (await known.refresh(this.config.fingerprint_size)) {
          this.ctx.logger.info({ path: filePath }, "file receiver: file truncated, reading again");
        }
        continue;
      }
      try {
        const file = await TrackedFile.open(filePath, this.config.fingerprint_size, (s, fp, h) =>
          this.startPosition(s, fp, h),
        );
        seen.add(file.key);
        this.files.set(file.key, file);
      } catch (error) {
        this.ctx.logger.warn(
          { path: filePath, err: errorMessage(error) },
          "file receiver: cannot open",
        );
      }
    }
    for (const file of this.files.values()) if (!seen.has(file.key)) file.missedPolls++;
  }

  private async startPosition(
    stats: Stats,
    fingerprint: Buffer,
    handle: FileHandle,
  ): Promise<Position> {
    const key = fileKey(stats);
    const index = this.saved.findIndex((c) => {
      const saved = Buffer.from(c.fingerprint, "base64");
      return (
        c.key === key &&
        c.offset <= stats.size &&
        fingerprint.subarray(0, saved.length).equals(saved)
      );
    });
    if (index !== -1) {
      const [{ offset, line, skipping }] = this.saved.splice(index, 1) as [Checkpoint];
      return { offset, line, skipping };
    }
    if (this.startupScan && this.config.start_at === "end") return endPosition(handle, stats.size);
    return { offset: 0, line: 1, skipping: false };
  }

  private async drain(file: TrackedFile, final: boolean): Promise<void> {
    while (!this.stopping) {
      // Admission control: under memory pressure no more lines are read; the offset stays,
      // so the same lines are read once the pause (the limiter's retry hint) is over.
      const pressure = memoryPressure.current();
      if (pressure) throw new Paused(pressure.retryAfterMs, new Error(pressureMessage(pressure)));
      const batch = await file.read(this.config.max_batch, this.config.max_line_size, final);
      if (batch.next.offset === file.offset) return;
      await this.deliver(file, batch);
      file.advance(batch.next);
      await this.saveCheckpoints();
    }
  }

  /** Hands a batch downstream; throws Paused when it should be offered again later. */
  private async deliver(file: TrackedFile, batch: Batch): Promise<void> {
    const observedTime = nowNanos();
    const attributes: Attributes = {};
    if (this.config.include_file_name) attributes["log.file.name"] = path.basename(file.path);
    if (this.config.include_file_path) attributes["log.file.path"] = file.path;
    const rejects: DeadLetterEntry[] = batch.oversize.map(({ bytes, line }) => ({
      error: `line longer than max_line_size ${this.config.max_line_size} bytes`,
      line,
      raw: bytes.toString("utf8"),
      file: file.path,
    }));
    const records: LogBatch = [];
    const raws: { line: number; raw: string }[] = [];
    for (const { bytes, line } of batch.lines) {
      let raw = bytes.toString("utf8");
      if (raw.endsWith("\r")) raw = raw.slice(0, -1);
      if (raw.trim() === "") continue;
      const error = this.parse(raw, (value) => {
        records.push(itemRecord(value, observedTime, RESOURCE, SCOPE, { ...attributes }));
        raws.push({ line, raw });
      });
      if (error) rejects.push({ error, line, raw, file: file.path });
    }

    if (records.length > 0) {
      try {
        await this.next.consume(records);
        this.telemetry.accepted("logs", records.length);
      } catch (error) {
        if (!isPermanent(error)) {
          this.telemetry.refused("logs", records.length);
          const hint = error instanceof RetryableError ? error.retryAfterMs : undefined;
          throw new Paused(hint, error);
        }
        const reason = `refused by the pipeline: ${errorMessage(error)}`;
        for (const { line, raw } of raws)
          rejects.push({ error: reason, line, raw, file: file.path });
      }
    }
    if (rejects.length > 0) await this.reject(rejects);
  }

  /** Parses one line; returns why it is rejected, or hands the object to `accept`. */
  private parse(raw: string, accept: (value: Record<string, unknown>) => void): string | undefined {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      return `invalid JSON: ${errorMessage(error).slice(0, 200)}`;
    }
    if (!isJsonObject(value)) return `expected a JSON object, got ${jsonTypeName(value)}`;
    const check = checkItem(value, {
      maxDepth: this.config.max_depth,
      maxStringLength: this.config.max_line_size,
    });
    if (check.error) return check.error;
    accept(value);
    return undefined;
  }

  private async reject(rejects: DeadLetterEntry[]): Promise<void> {
    this.telemetry.refused("logs", rejects.length);
    for (const { file, line, error } of rejects.slice(0, MAX_LOGGED_REJECTS)) {
      this.ctx.logger.warn({ file, line, error }, "file receiver: rejected line");
    }
    if (rejects.length > MAX_LOGGED_REJECTS) {
      this.ctx.logger.warn(
        { more: rejects.length - MAX_LOGGED_REJECTS },
        "file receiver: more rejected lines in this batch",
      );
    }
    if (!this.deadLetter) return;
    try {
      await this.deadLetter.write(rejects);
    } catch (error) {
      // Not safe yet: keep the position and offer the batch again.
      throw new Paused(undefined, error);
    }
  }

  private async saveCheckpoints(): Promise<void> {
    if (!this.store) return;
    const tracked = [...this.files.values()].map((file) => file.checkpoint());
    // Until the first poll has matched them, the last run's checkpoints must not be dropped.
    await this.store.save(this.firstPoll ? [...tracked, ...this.saved] : tracked);
  }
}
