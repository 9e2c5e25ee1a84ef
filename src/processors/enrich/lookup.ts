import { readFileSync, type Stats, statSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { Logger } from "pino";
import { errorMessage } from "../../component/errors.js";
import type { Attributes } from "../../pdata/value.js";
import type { LookupConfig } from "./config.js";
import { parseTable, type Row, type Table } from "./table.js";

/**
 * One lookup: a table held in memory (O(1) per record) and kept in step with its file.
 *
 * The file is polled with stat() rather than watched with fs.watch: a Kubernetes ConfigMap
 * is updated by swapping a symlinked directory, editors replace files by rename, and network
 * volumes send no events; a stat every few seconds sees all of these (inode, size or mtime
 * changes) and costs next to nothing. A file that fails to parse leaves the last good table
 * in place.
 */
export class Lookup {
  readonly path: string;
  private table: Table | undefined;
  private seen: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  /** Column → attribute name, fixed for the current table. */
  private targets: [column: string, attribute: string][] = [];

  constructor(
    private readonly config: LookupConfig,
    configDir: string,
    private readonly logger: Logger,
    private readonly where: string,
  ) {
    this.path = resolve(configDir, config.file);
  }

  /** Loads the table; throws (naming the file) when it cannot, so the component fails to start. */
  start(): void {
    let info: Stats;
    let text: string;
    try {
      info = statSync(this.path);
      text = readFileSync(this.path, "utf8");
    } catch (error) {
      throw new Error(`${this.where}: cannot read ${this.path}: ${errorMessage(error)}`);
    }
    try {
      this.use(parseTable(this.path, text, this.config.key_column));
    } catch (error) {
      throw new Error(`${this.where}: ${this.path}: ${errorMessage(error)}`);
    }
    this.seen = fingerprint(info);
    if (this.config.reload) {
      this.timer = setInterval(() => void this.check(), this.config.reload_interval).unref();
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Adds the row's columns (or the defaults) for the record's key value. */
  apply(attributes: Attributes, resource: Attributes, override: boolean): void {
    const value = attributes[this.config.key] ?? resource[this.config.key];
    const row =
      value === undefined || value === null || typeof value === "object"
        ? undefined
        : this.table?.rows.get(String(value));
    const prefix = this.config.prefix;
    if (row === undefined) {
      for (const [column, fallback] of Object.entries(this.config.default)) {
        set(attributes, prefix + column, fallback, override);
      }
      return;
    }
    for (const [column, attribute] of this.targets) {
      const cell = row[column] ?? this.config.default[column];
      if (cell !== undefined) set(attributes, attribute, cell, override);
    }
  }

  /** Re-reads the file if its identity, size or mtime changed since the last look. */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const info = await stat(this.path);
      const print = fingerprint(info);
      if (print === this.seen) return;
      this.seen = print;
      const table = parseTable(
        this.path,
        await readFile(this.path, "utf8"),
        this.config.key_column,
      );
      this.use(table);
      this.logger.info({ file: this.path, rows: table.rows.size }, "lookup table reloaded");
    } catch (error) {
      this.logger.warn(
        { file: this.path, error: errorMessage(error) },
        "lookup table not reloaded; keeping the previous one",
      );
    } finally {
      this.checking = false;
    }
  }

  /** Rows in the current table (for tests and debugging). */
  get size(): number {
    return this.table?.rows.size ?? 0;
  }

  private use(table: Table): void {
    const wanted = this.config.columns ?? table.columns.filter((c) => c !== table.keyColumn);
    const missing = this.config.columns?.filter((c) => !table.columns.includes(c)) ?? [];
    if (missing.length > 0 && table.rows.size > 0) {
      throw new Error(`columns not in the table: ${missing.join(", ")}`);
    }
    this.table = table;
    this.targets = wanted.map((c) => [c, this.config.prefix + c]);
  }
}

function set(attributes: Attributes, name: string, value: Row[string], override: boolean): void {
  if (override || attributes[name] === undefined) attributes[name] = value;
}

function fingerprint(info: Stats): string {
  return `${info.ino}:${info.size}:${info.mtimeMs}`;
}
