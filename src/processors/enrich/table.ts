import { extname } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { isMap, isSeq, parseDocument } from "yaml";
import type { AnyValue } from "../../pdata/value.js";

export type Row = Record<string, AnyValue>;

/** A lookup table: key → row, plus the columns it has (in file order). */
export interface Table {
  rows: Map<string, Row>;
  columns: string[];
  keyColumn: string;
}

/** Reads a CSV or YAML table by the file's extension; throws a message naming the problem. */
export function parseTable(file: string, text: string, keyColumn?: string): Table {
  const ext = extname(file).toLowerCase();
  if (ext === ".csv") return fromCsv(text, keyColumn);
  if (ext === ".yaml" || ext === ".yml") return fromYaml(text, keyColumn);
  throw new Error(`unsupported lookup file type "${ext}" (expected .csv, .yaml or .yml)`);
}

function fromCsv(text: string, keyColumn?: string): Table {
  const records = parseCsv(text, {
    bom: true,
    skip_empty_lines: true,
    trim: true,
    comment: "#",
  }) as string[][];
  const [header, ...body] = records;
  if (!header) return { rows: new Map(), columns: [], keyColumn: keyColumn ?? "" };
  const key = keyColumn ?? header[0]!;
  const keyIndex = header.indexOf(key);
  if (keyIndex < 0)
    throw new Error(`key_column "${key}" is not in the header (${header.join(", ")})`);
  const rows = new Map<string, Row>();
  body.forEach((values, i) => {
    const row: Row = {};
    header.forEach((column, j) => {
      if (values[j] !== undefined && values[j] !== "") row[column] = values[j]!;
    });
    addRow(rows, values[keyIndex] ?? "", row, `line ${i + 2}`);
  });
  return { rows, columns: header, keyColumn: key };
}

function fromYaml(text: string, keyColumn?: string): Table {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(doc.errors[0]!.message);
  const rows = new Map<string, Row>();
  const columns = new Set<string>();
  const data = doc.toJS() as unknown;
  if (isMap(doc.contents)) {
    // Shape `support-bot: {team: red, owner: ana}`: the map keys are the keys.
    const key = keyColumn ?? "key";
    for (const [name, value] of Object.entries(data as Record<string, unknown>)) {
      const row = toRow(value, `entry "${name}"`);
      for (const column of Object.keys(row)) columns.add(column);
      addRow(rows, name, row, `entry "${name}"`);
    }
    return { rows, columns: [...columns], keyColumn: key };
  }
  if (isSeq(doc.contents)) {
    // Shape `- {agent: support-bot, team: red}`: one field is the key.
    const list = data as unknown[];
    const first = list[0];
    const key = keyColumn ?? Object.keys(toRow(first ?? {}, "item 1"))[0] ?? "";
    list.forEach((item, i) => {
      const row = toRow(item, `item ${i + 1}`);
      for (const column of Object.keys(row)) columns.add(column);
      const value = row[key];
      if (value === undefined) throw new Error(`item ${i + 1} has no "${key}" field`);
      addRow(rows, String(value), row, `item ${i + 1}`);
    });
    return { rows, columns: [...columns], keyColumn: key };
  }
  if (doc.contents === null) return { rows, columns: [], keyColumn: keyColumn ?? "" };
  throw new Error("expected a mapping (key → row) or a list of rows");
}

function toRow(value: unknown, where: string): Row {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${where} is not a mapping of column → value`);
  }
  const row: Row = {};
  for (const [column, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    row[column] =
      typeof v === "string" || typeof v === "number" || typeof v === "boolean"
        ? v
        : JSON.stringify(v);
  }
  return row;
}

function addRow(rows: Map<string, Row>, key: string, row: Row, where: string): void {
  if (key === "") throw new Error(`${where} has an empty key`);
  if (rows.has(key)) throw new Error(`${where} repeats the key "${key}"`);
  rows.set(key, row);
}
