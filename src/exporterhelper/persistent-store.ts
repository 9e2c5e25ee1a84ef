import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  truncate,
  unlink,
  writeFile,
} from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { errorMessage } from "../component/errors.js";
import { encodeFrame, scanFrames } from "./record.js";

export type FsyncMode = "always" | "interval" | "never";

export interface StoreOptions {
  dir: string;
  fsync: FsyncMode;
  fsyncIntervalMs: number;
  logger: Logger;
  /** A segment is closed and a new one started past this size. */
  segmentBytes?: number;
}

export interface StoredRecord {
  seq: number;
  payload: Buffer;
}

interface Segment {
  first: number;
  file: string;
  size: number;
}

interface PendingWrite {
  seq: number;
  frame: Buffer;
  resolve(seq: number): void;
  reject(error: Error): void;
}

const SEGMENT_PATTERN = /^seg-(\d{16})\.log$/;
const CHECKPOINT = "acks.json";
const DEFAULT_SEGMENT_BYTES = 8 * 1024 * 1024;

/**
 * The disk side of the persistent queue: records are appended to segment files, and which of
 * them the backend has confirmed is kept in a small checkpoint (`acks.json`: the next sequence
 * number and the records still unconfirmed), replaced atomically by write-temp-then-rename.
 * A record is pending after a restart when its sequence number is at or above the checkpoint's
 * `next`, or listed in its `live`. Confirmations arrive out of order (several consumers), so a
 * single read offset would not do; the live list is bounded by the queue size.
 */
export class PersistentStore {
  private readonly segmentBytes: number;
  private segments: Segment[] = [];
  private active: { segment: Segment; handle: FileHandle } | undefined;
  /** Unconfirmed records, sequence → bytes on disk; insertion order is sequence order. */
  private readonly live = new Map<number, number>();
  private liveBytes = 0;
  private nextSeq = 0;
  private writes: PendingWrite[] = [];
  private writing: Promise<void> | undefined;
  private dirty = false;
  private syncTimer: NodeJS.Timeout | undefined;
  private checkpointWanted = false;
  private checkpointing: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: StoreOptions) {
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  }

  /** Bytes of unconfirmed records on disk. */
  get bytes(): number {
    return this.liveBytes;
  }

  /** Opens the directory and returns what was left unconfirmed, oldest first. */
  async open(): Promise<StoredRecord[]> {
    const { dir, logger } = this.options;
    await mkdir(dir, { recursive: true });
    const checkpoint = await this.readCheckpoint();
    const names = (await readdir(dir)).filter((n) => SEGMENT_PATTERN.test(n)).sort();
    const recovered: StoredRecord[] = [];
    let maxSeq = -1;
    for (const name of names) {
      const file = path.join(dir, name);
      const data = await readFile(file);
      const { records, validBytes } = scanFrames(data);
      if (validBytes < data.length) {
        // A crash mid-write leaves a partial record; anything after it cannot be framed.
        logger.warn(
          {
            segment: name,
            offset: validBytes,
            discarded_bytes: data.length - validBytes,
            records_kept: records.length,
          },
          "persistent queue: truncated or damaged segment tail cut off",
        );
        await truncate(file, validBytes);
      }
      this.segments.push({ first: Number(SEGMENT_PATTERN.exec(name)![1]), file, size: validBytes });
      for (const record of records) {
        if (record.seq <= maxSeq) continue;
        maxSeq = record.seq;
        const pending =
          !checkpoint || record.seq >= checkpoint.next || checkpoint.live.has(record.seq);
        if (!pending) continue;
        recovered.push(record);
        this.track(record.seq, record.payload.length);
      }
    }
    this.nextSeq = Math.max(checkpoint?.next ?? 0, maxSeq + 1);
    if (this.options.fsync === "interval") {
      this.syncTimer = setInterval(() => void this.syncActive(), this.options.fsyncIntervalMs);
      this.syncTimer.unref();
    }
    await this.deleteConfirmedSegments();
    return recovered;
  }

  /** Resolves with the record's sequence number once it is written (and synced under always). */
  append(payload: Buffer): Promise<number> {
    if (this.closed) return Promise.reject(new Error("persistent queue is closed"));
    const seq = this.nextSeq++;
    const frame = encodeFrame(seq, payload);
    this.track(seq, frame.length);
    return new Promise((resolve, reject) => {
      this.writes.push({ seq, frame, resolve, reject });
      this.writing ??= this.writeAll();
    });
  }

  /** The backend confirmed the record: forget it (the checkpoint is written soon after). */
  ack(seq: number): void {
    this.untrack(seq);
    this.scheduleCheckpoint();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.syncTimer);
    await this.writing;
    this.scheduleCheckpoint();
    await this.checkpointing;
    const active = this.active;
    this.active = undefined;
    if (active) {
      if (this.options.fsync !== "never") await active.handle.datasync();
      await active.handle.close();
    }
  }

  private track(seq: number, bytes: number): void {
    this.live.set(seq, bytes);
    this.liveBytes += bytes;
  }

  private untrack(seq: number): void {
    const bytes = this.live.get(seq);
    if (bytes === undefined) return;
    this.live.delete(seq);
    this.liveBytes -= bytes;
  }

  /**
   * Group commit: every append that arrived while the previous write was in progress goes out
   * in one write and, under `always`, one fsync.
   */
  private async writeAll(): Promise<void> {
    while (this.writes.length > 0) {
      const group = this.writes.splice(0);
      const frames = group.map((w) => w.frame);
      const total = frames.reduce((n, f) => n + f.length, 0);
      try {
        const active = await this.activeFor(group[0]!.seq, total);
        const { bytesWritten } = await active.handle.writev(frames);
        if (bytesWritten !== total) throw new Error(`short write (${bytesWritten}/${total} bytes)`);
        active.segment.size += total;
        if (this.options.fsync === "always") await active.handle.datasync();
        else this.dirty = true;
        for (const w of group) w.resolve(w.seq);
      } catch (error) {
        for (const w of group) {
          this.untrack(w.seq);
          w.reject(error instanceof Error ? error : new Error(String(error)));
        }
        await this.abandonActive();
      }
    }
    this.writing = undefined;
  }

  private async activeFor(firstSeq: number, bytes: number) {
    const current = this.active;
    if (
      current &&
      (current.segment.size === 0 || current.segment.size + bytes <= this.segmentBytes)
    ) {
      return current;
    }
    if (current) {
      this.active = undefined;
      if (this.options.fsync !== "never") await current.handle.datasync();
      await current.handle.close();
    }
    const file = path.join(this.options.dir, `seg-${String(firstSeq).padStart(16, "0")}.log`);
    const handle = await open(file, "a");
    if (this.options.fsync === "always") await this.syncDir();
    const segment: Segment = { first: firstSeq, file, size: 0 };
    this.segments.push(segment);
    this.active = { segment, handle };
    // The segment that just closed may hold only confirmed records.
    if (current) this.scheduleCheckpoint();
    return this.active;
  }

  /** After a failed write: cut the partial bytes off so later records stay readable. */
  private async abandonActive(): Promise<void> {
    const active = this.active;
    this.active = undefined;
    if (!active) return;
    try {
      await active.handle.truncate(active.segment.size);
    } catch (error) {
      this.options.logger.error(
        { segment: path.basename(active.segment.file), err: errorMessage(error) },
        "persistent queue: could not cut off a failed write; the next start will",
      );
    }
    await active.handle.close().catch(() => {});
  }

  private async syncActive(): Promise<void> {
    if (!this.dirty || !this.active) return;
    this.dirty = false;
    try {
      await this.active.handle.datasync();
    } catch (error) {
      this.options.logger.warn({ err: errorMessage(error) }, "persistent queue: fsync failed");
    }
  }

  private async syncDir(): Promise<void> {
    const handle = await open(this.options.dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private scheduleCheckpoint(): void {
    this.checkpointWanted = true;
    this.checkpointing ??= (async () => {
      while (this.checkpointWanted) {
        this.checkpointWanted = false;
        try {
          await this.writeCheckpoint();
          await this.deleteConfirmedSegments();
        } catch (error) {
          this.options.logger.warn(
            { err: errorMessage(error) },
            "persistent queue: could not record confirmations; they may be sent again",
          );
        }
      }
      this.checkpointing = undefined;
    })();
  }

  private async writeCheckpoint(): Promise<void> {
    const file = path.join(this.options.dir, CHECKPOINT);
    const temp = `${file}.tmp`;
    const body = JSON.stringify({ next: this.nextSeq, live: [...this.live.keys()] });
    if (this.options.fsync === "always") {
      const handle = await open(temp, "w");
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } else {
      await writeFile(temp, body);
    }
    await rename(temp, file);
  }

  private async readCheckpoint(): Promise<{ next: number; live: Set<number> } | undefined> {
    let text: string;
    try {
      text = await readFile(path.join(this.options.dir, CHECKPOINT), "utf8");
    } catch {
      return undefined;
    }
    try {
      const parsed = JSON.parse(text) as { next?: unknown; live?: unknown };
      if (typeof parsed.next === "number" && Array.isArray(parsed.live)) {
        return { next: parsed.next, live: new Set(parsed.live as number[]) };
      }
    } catch {}
    this.options.logger.warn(
      { file: CHECKPOINT },
      "persistent queue: unreadable checkpoint; every stored record will be sent again",
    );
    return undefined;
  }

  /** Deletes closed segments whose records are all confirmed. */
  private async deleteConfirmedSegments(): Promise<void> {
    const liveSeqs = [...this.live.keys()];
    const confirmed = this.segments.filter((segment, i) => {
      const end = this.segments[i + 1]?.first ?? Number.POSITIVE_INFINITY;
      return (
        segment !== this.active?.segment &&
        !liveSeqs.some((seq) => seq >= segment.first && seq < end)
      );
    });
    const deleted = new Set<Segment>();
    for (const segment of confirmed) {
      try {
        await unlink(segment.file);
        deleted.add(segment);
      } catch (error) {
        this.options.logger.warn(
          { segment: path.basename(segment.file), err: errorMessage(error) },
          "persistent queue: could not delete a confirmed segment",
        );
      }
    }
    // Filtered afresh: a segment may have been started while the deletions ran.
    this.segments = this.segments.filter((s) => !deleted.has(s));
  }
}
