import { mkdir, open, readFile, rename } from "node:fs/promises";
import path from "node:path";

/** Where reading of one file stands. `offset` is always the start of an unread line. */
export interface Checkpoint {
  /** `device:inode`. */
  key: string;
  /** Base64 of the file's first bytes (up to fingerprint_size) when last read. */
  fingerprint: string;
  offset: number;
  /** The 1-based number of the line at `offset`. */
  line: number;
  /** True while inside an over-long line whose end has not been seen yet. */
  skipping: boolean;
  /** For people reading the file; identity is key + fingerprint. */
  path: string;
}

interface CheckpointFile {
  version: 1;
  files: Checkpoint[];
}

/**
 * One JSON file per receiver in the storage directory, replaced atomically (write a temporary
 * file, then rename) so a crash leaves either the old or the new checkpoints, never half.
 */
export class CheckpointStore {
  readonly path: string;

  constructor(directory: string, receiverId: string) {
    this.path = path.join(directory, `${receiverId.replace(/[^\w.-]/g, "_")}.checkpoints.json`);
  }

  async load(): Promise<Checkpoint[]> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const parsed = JSON.parse(text) as CheckpointFile;
    if (parsed.version !== 1 || !Array.isArray(parsed.files)) {
      throw new Error(`${this.path}: not a checkpoint file of version 1`);
    }
    return parsed.files;
  }

  async save(files: Checkpoint[]): Promise<void> {
    await mkdir(path.dirname(this.path), { recursive: true });
    const temporary = `${this.path}.tmp`;
    const data: CheckpointFile = { version: 1, files };
    const handle = await open(temporary, "w");
    try {
      await handle.writeFile(`${JSON.stringify(data)}\n`);
      // On disk before the rename, or a power cut could leave an empty checkpoint file.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, this.path);
  }
}
