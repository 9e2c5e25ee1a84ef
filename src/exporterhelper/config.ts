import { z } from "zod";
import { duration } from "../config/duration.js";

/**
 * The Collector's exporterhelper options, shared by every network exporter. Spread
 * `exporterHelperFields` into an exporter's schema so the names and defaults are identical.
 */
export const exporterHelperFields = {
  timeout: duration.prefault("5s").describe("time limit for one request to the backend"),
};

export const exporterHelperSchema = z.strictObject(exporterHelperFields);
export type ExporterHelperConfig = z.output<typeof exporterHelperSchema>;
