import type { ExporterFactory } from "../component/component.js";
import { errorMessage } from "../component/errors.js";
import { formatDiagnostic } from "../config/diagnostic.js";
import { checkConfig } from "./validate.js";

export interface CheckRow {
  exporter: string;
  status: "ok" | "failed" | "skipped";
  detail: string;
}

/** Runs every exporter's connection check in parallel; exporters without one are listed as such. */
export async function checkExporters(files: string[]): Promise<CheckRow[] | undefined> {
  const checked = checkConfig(files);
  if (!checked.config) {
    for (const d of checked.diagnostics) console.error(formatDiagnostic(d));
    return undefined;
  }
  const exporters = [...checked.config.components.exporter.values()];
  return Promise.all(
    exporters.map(async ({ id, factory, config }): Promise<CheckRow> => {
      const check = (factory as ExporterFactory).check;
      if (!check)
        return { exporter: id, status: "skipped", detail: "no connection check for this type" };
      try {
        const result = await check(config);
        return { exporter: id, status: result.ok ? "ok" : "failed", detail: result.detail };
      } catch (error) {
        return { exporter: id, status: "failed", detail: errorMessage(error) };
      }
    }),
  );
}

export async function checkCommand(files: string[]): Promise<number> {
  const rows = await checkExporters(files);
  if (!rows) return 1;
  const width = Math.max(8, ...rows.map((r) => r.exporter.length));
  console.log(`${"EXPORTER".padEnd(width)}  STATUS   DETAIL`);
  for (const r of rows)
    console.log(`${r.exporter.padEnd(width)}  ${r.status.padEnd(7)}  ${r.detail}`);
  return rows.some((r) => r.status === "failed") ? 1 : 0;
}
