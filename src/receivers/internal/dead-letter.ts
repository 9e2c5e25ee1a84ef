import { type FileHandle, mkdir, open } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

export const deadLetterSchema = z
  .strictObject({
    path: z
      .string()
      .min(1)
      .describe(
        "file that rejected items are appended to, one JSON line each; relative to the config file's folder",
      ),
  })
  .describe("keep every rejected item, raw, in a file; omit to only report and count them");

export type DeadLetterConfig = z.output<typeof deadLetterSchema>;

export interface DeadLetterEntry {
  error: string;
  /** Position of the item in its request (0-based), where there is one. */
  index?: number;
  /** 1-based line the item starts on. */
  line?: number;
  /** The item exactly as received. */
  raw: string;
  /** For items read from a file: that file. */
  file?: string;
}

/**
 * Appends rejected items as JSON lines `{time, receiver, error, index, line, raw}`. `write`
 * resolves only once the lines are on disk (datasync), so a receiver can tell its sender that
 * rejected items are safe before answering.
 */
export class DeadLetterWriter {
  readonly path: string;
  private handle: FileHandle | undefined;
  /** Writes run one after another, so lines of concurrent requests never interleave. */
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly receiver: string,
    file: string,
    configDir: string,
  ) {
    this.path = path.resolve(configDir, file);
  }

  write(entries: readonly DeadLetterEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const time = new Date().toISOString();
    const text = entries
      .map((entry) => JSON.stringify({ time, receiver: this.receiver, ...entry }))
      .join("\n");
    const data = Buffer.from(`${text}\n`);
    const result = this.tail.then(() => this.append(data));
    this.tail = result.catch(() => {});
    return result;
  }

  async close(): Promise<void> {
    await this.tail;
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  private async append(data: Buffer): Promise<void> {
    if (!this.handle) {
      await mkdir(path.dirname(this.path), { recursive: true });
      this.handle = await open(this.path, "a");
    }
    try {
      let offset = 0;
      while (offset < data.length) {
        const { bytesWritten } = await this.handle.write(data, offset, data.length - offset);
        offset += bytesWritten;
      }
      await this.handle.datasync();
    } catch (error) {
      // Reopen next time: the file may have been removed or the disk remounted.
      const handle = this.handle;
      this.handle = undefined;
      await handle.close().catch(() => {});
      throw error;
    }
  }
}
