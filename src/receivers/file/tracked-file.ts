import type { Stats } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import type { Checkpoint } from "./checkpoint.js";

const NEWLINE = 0x0a;
const MIN_WINDOW = 64 * 1024;

export interface Position {
  offset: number;
  line: number;
  skipping: boolean;
}

export interface Line {
  bytes: Buffer;
  /** 1-based line number in the file. */
  line: number;
}

export interface Batch {
  lines: Line[];
  /** Lines over max_line_size: their first max_line_size bytes. */
  oversize: Line[];
  /** Where reading stands once this batch is safely handed over. */
  next: Position;
}

export function fileKey(stats: Stats): string {
  return `${stats.dev}:${stats.ino}`;
}

/**
 * One file being tailed, identified by device + inode + the first bytes of its content. Reads
 * go through the handle opened when the file was found, so a file renamed away (rotation) is
 * finished from the same handle. The position only moves when the caller `advance`s it, i.e.
 * after downstream accepted the lines, which is what makes reading at-least-once.
 */
export class TrackedFile {
  /** Polls in a row that did not find the file under an included path. */
  missedPolls = 0;

  private constructor(
    public path: string,
    readonly key: string,
    private readonly handle: FileHandle,
    private fingerprint: Buffer,
    private position: Position,
  ) {}

  static async open(
    path: string,
    fingerprintSize: number,
    start: (stats: Stats, fingerprint: Buffer, handle: FileHandle) => Promise<Position>,
  ): Promise<TrackedFile> {
    const handle = await open(path, "r");
    try {
      const stats = await handle.stat();
      const fingerprint = await readHead(handle, Math.min(fingerprintSize, stats.size));
      const position = await start(stats, fingerprint, handle);
      return new TrackedFile(path, fileKey(stats), handle, fingerprint, position);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  get offset(): number {
    return this.position.offset;
  }

  /**
   * Notices copytruncate and replaced content: a file now shorter than the position, or whose
   * first bytes changed, is read again from the start. Returns true when that happened.
   */
  async refresh(fingerprintSize: number): Promise<boolean> {
    const { size } = await this.handle.stat();
    const head = await readHead(this.handle, Math.min(fingerprintSize, size));
    const common = Math.min(head.length, this.fingerprint.length);
    const changed =
      size < this.position.offset ||
      head.length < this.fingerprint.length ||
      !head.subarray(0, common).equals(this.fingerprint.subarray(0, common));
    if (changed) this.position = { offset: 0, line: 1, skipping: false };
    if (changed || head.length > this.fingerprint.length) this.fingerprint = head;
    return changed;
  }

  /**
   * Reads up to `maxLines` complete lines from the position. An unterminated last line is
   * held back until its newline arrives, unless `final` (the file is being let go).
   */
  async read(maxLines: number, maxLineSize: number, final: boolean): Promise<Batch> {
    const window = Math.max(maxLineSize + 1, MIN_WINDOW);
    const buffer = Buffer.allocUnsafe(window);
    const { bytesRead } = await this.handle.read(buffer, 0, window, this.position.offset);
    const data = buffer.subarray(0, bytesRead);
    const lines: Line[] = [];
    const oversize: Line[] = [];
    let { line, skipping } = this.position;
    let pos = 0;
    if (skipping) {
      const end = data.indexOf(NEWLINE);
      if (end === -1) {
        return {
          lines,
          oversize,
          next: { offset: this.position.offset + bytesRead, line, skipping },
        };
      }
      pos = end + 1;
      line++;
      skipping = false;
    }
    while (lines.length + oversize.length < maxLines) {
      const end = data.indexOf(NEWLINE, pos);
      if (end === -1) break;
      const bytes = data.subarray(pos, end);
      if (bytes.length > maxLineSize)
        oversize.push({ bytes: bytes.subarray(0, maxLineSize), line });
      else lines.push({ bytes, line });
      line++;
      pos = end + 1;
    }
    const rest = data.length - pos;
    if (lines.length + oversize.length < maxLines && rest > 0) {
      if (rest > maxLineSize) {
        // No newline within max_line_size: reject what we have and skip to the next newline.
        oversize.push({ bytes: data.subarray(pos, pos + maxLineSize), line });
        pos = data.length;
        skipping = true;
      } else if (final && bytesRead < window) {
        lines.push({ bytes: data.subarray(pos), line });
        line++;
        pos = data.length;
      }
    }
    return { lines, oversize, next: { offset: this.position.offset + pos, line, skipping } };
  }

  advance(next: Position): void {
    this.position = next;
  }

  checkpoint(): Checkpoint {
    return {
      key: this.key,
      fingerprint: this.fingerprint.toString("base64"),
      ...this.position,
      path: this.path,
    };
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

async function readHead(handle: FileHandle, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** Counts the lines before `end`, to number lines when reading starts mid-file. */
export async function countLines(handle: FileHandle, end: number): Promise<number> {
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  let lines = 0;
  for (let offset = 0; offset < end; ) {
    const { bytesRead } = await handle.read(
      buffer,
      0,
      Math.min(buffer.length, end - offset),
      offset,
    );
    if (bytesRead === 0) break;
    for (let i = buffer.indexOf(NEWLINE, 0); i !== -1 && i < bytesRead; ) {
      lines++;
      i = buffer.indexOf(NEWLINE, i + 1);
    }
    offset += bytesRead;
  }
  return lines;
}

/**
 * The position just after the last newline before `size`, for start_at: end: a line still
 * being written when tailing begins is then read whole once it is complete.
 */
export async function endPosition(handle: FileHandle, size: number): Promise<Position> {
  const tail = Math.min(size, MIN_WINDOW);
  const buffer = Buffer.allocUnsafe(tail);
  const { bytesRead } = await handle.read(buffer, 0, tail, size - tail);
  const last = buffer.subarray(0, bytesRead).lastIndexOf(NEWLINE);
  const offset = last === -1 ? size : size - tail + last + 1;
  return { offset, line: (await countLines(handle, offset)) + 1, skipping: false };
}
