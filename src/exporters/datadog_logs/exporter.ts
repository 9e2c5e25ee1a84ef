import type { CreateContext, Exporter } from "../../component/component.js";
import { combineErrors } from "../../component/errors.js";
import { createNetworkExporter } from "../../exporterhelper/exporter.js";
import type { Sender } from "../../exporterhelper/sender.js";
import type { LogBatch } from "../../pdata/logs.js";
import type { Signal } from "../../pdata/signal.js";
import { type Compressor, createCompressor } from "../internal/compress.js";
import { AuthFailureReporter } from "./auth.js";
import { check } from "./check.js";
import type { DatadogLogsConfig } from "./config.js";
import {
  type LogEncodeOptions,
  packBatches,
  requestBody,
  serializeLog,
  toDatadogLog,
} from "./encode.js";
import { DatadogHttpClient, errorForResponse, isAuthStatus } from "./http.js";
import { logsIntakeUrl } from "./site.js";

/** Sends one batch of log records to the Logs intake v2, split within Datadog's limits. */
export class DatadogLogsSender implements Sender<LogBatch> {
  readonly url: string;
  private readonly encode: LogEncodeOptions;
  private readonly compressor: Compressor | undefined;

  constructor(
    private readonly ctx: CreateContext,
    private readonly config: DatadogLogsConfig,
    private readonly client: DatadogHttpClient,
    private readonly auth: AuthFailureReporter,
  ) {
    this.url = logsIntakeUrl(config);
    this.compressor = createCompressor(config.compression, config.compression_params);
    this.encode = {
      service: config.service,
      source: config.source,
      hostname: config.hostname,
      tags: config.tags,
      tagAttributes: config.tag_attributes,
      // A single log must also fit in a request body of its own (`[` + log + `]`).
      maxEntryBytes: Math.min(config.max_entry_bytes, config.max_batch_bytes - 2),
    };
  }

  async send(batch: LogBatch, _signal: Signal, abort: AbortSignal): Promise<void> {
    const logs = batch.map((record) =>
      serializeLog(toDatadogLog(record, this.encode), this.encode.maxEntryBytes),
    );
    const truncated = logs.filter((log) => log.truncated).length;
    if (truncated > 0) {
      this.ctx.logger.warn(
        { exporter: this.ctx.id, truncated, max_entry_bytes: this.encode.maxEntryBytes },
        "logs over max_entry_bytes were truncated (marked tripline.truncated)",
      );
    }
    const entries = logs.map((log) => log.json);
    const requests = packBatches(
      entries,
      this.config.max_batch_entries,
      this.config.max_batch_bytes,
    );
    await settleAll(requests.map((group) => () => this.post(group, abort)));
  }

  /** Posts one request; on 413 splits it in halves and posts each, down to a single log. */
  private async post(entries: string[], abort: AbortSignal): Promise<void> {
    const json = requestBody(entries);
    const body = this.compressor ? await this.compressor.compress(json) : Buffer.from(json);
    const response = await this.client.send("POST", this.url, {
      body,
      signal: abort,
      headers: {
        "content-type": "application/json",
        ...(this.compressor ? { "content-encoding": this.compressor.encoding } : {}),
        "dd-evp-origin": "tripline",
      },
    });
    if (response.status >= 200 && response.status < 300) return;
    if (response.status === 413 && entries.length > 1) {
      const half = Math.ceil(entries.length / 2);
      this.ctx.logger.debug(
        { exporter: this.ctx.id, entries: entries.length },
        "Datadog answered 413; resending the request as two halves",
      );
      await settleAll([
        () => this.post(entries.slice(0, half), abort),
        () => this.post(entries.slice(half), abort),
      ]);
      return;
    }
    if (isAuthStatus(response.status)) this.auth.report(response.status, this.url);
    throw errorForResponse(`Datadog logs intake refused ${entries.length} logs`, response);
  }
}

/**
 * Runs every send even when one fails, so a refused request does not hold back the others;
 * the outcome is permanent only if every failure was (the delivery layer then resends all,
 * and at-least-once tolerates the duplicates).
 */
async function settleAll(sends: (() => Promise<void>)[]): Promise<void> {
  const errors: unknown[] = [];
  for (const send of sends) {
    try {
      await send();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw combineErrors(errors);
}

/** The sender with its own connection pool; `close` ends the pool. */
export function createDatadogLogsSender(ctx: CreateContext, config: DatadogLogsConfig) {
  const client = new DatadogHttpClient(config.api_key);
  const auth = new AuthFailureReporter(ctx, config.site);
  return { sender: new DatadogLogsSender(ctx, config, client, auth), close: () => client.close() };
}

export function createDatadogLogsExporter(
  ctx: CreateContext,
  config: DatadogLogsConfig,
  signals: readonly Signal[],
): Exporter {
  const { sender, close } = createDatadogLogsSender(ctx, config);
  return createNetworkExporter({
    ctx,
    config,
    signals,
    senders: { logs: sender },
    start: async () => {
      if (!config.check_on_start) return;
      const result = await check(config);
      if (result.ok) {
        ctx.logger.info({ exporter: ctx.id }, result.detail);
      } else if (result.keyRefused) {
        throw new Error(`${ctx.id}: ${result.detail}`);
      } else {
        // Unreachable is not proof of a bad key; the delivery layer retries later.
        ctx.logger.warn({ exporter: ctx.id }, `api_key check inconclusive: ${result.detail}`);
      }
    },
    shutdown: close,
  });
}
