import type { Consumer, ReceiverFactory } from "../../component/component.js";
import { type LogBatch, nowNanos } from "../../pdata/logs.js";
import { itemRecord } from "../internal/records.js";
import { detectionsConfigSchema } from "./config.js";
import { resolvePreset } from "./preset.js";
import { DetectionsReceiver, RESOURCE, SCOPE } from "./receiver.js";

export const detectionsFactory: ReceiverFactory<typeof detectionsConfigSchema> = {
  type: "detections",
  kind: "receiver",
  description: "HTTP webhook for security detections: POST a JSON object, a JSON array or NDJSON",
  signals: ["logs"],
  configSchema: detectionsConfigSchema,
  create: (ctx, config, next) =>
    new DetectionsReceiver(ctx, config, next.logs as Consumer<LogBatch>),
  toLogRecords: (config, payloads) => {
    const now = nowNanos();
    const preset = resolvePreset(config.preset);
    return payloads.map((payload) => {
      const item = payload as Record<string, unknown>;
      const record = itemRecord(item, now, RESOURCE, SCOPE);
      preset?.(record, item);
      return record;
    });
  },
};
