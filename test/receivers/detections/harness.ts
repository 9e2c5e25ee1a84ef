import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import type { Consumer } from "../../../src/component/component.js";
import type { LogBatch, LogRecord } from "../../../src/pdata/logs.js";
import { detectionsConfigSchema } from "../../../src/receivers/detections/config.js";
import { detectionsFactory } from "../../../src/receivers/detections/factory.js";
import type { DetectionsReceiver } from "../../../src/receivers/detections/receiver.js";
import { noopHost, testContext } from "../../helpers/context.js";

/** Accepts every batch, or refuses with `refusal` when set. */
export class Sink implements Consumer<LogBatch> {
  readonly batches: LogBatch[] = [];
  refusal: Error | undefined;
  async consume(batch: LogBatch): Promise<void> {
    if (this.refusal) throw this.refusal;
    this.batches.push(batch);
  }
  records(): LogRecord[] {
    return this.batches.flat();
  }
  bodies(): Record<string, unknown>[] {
    return this.records().map((r) => r.body as Record<string, unknown>);
  }
}

export interface Started {
  receiver: DetectionsReceiver;
  sink: Sink;
  ctx: ReturnType<typeof testContext>;
  url: string;
}

export async function startReceiver(
  config: Record<string, unknown> = {},
  configDir = process.cwd(),
  sink = new Sink(),
): Promise<Started> {
  const ctx = testContext("detections", configDir);
  const parsed = detectionsConfigSchema.parse({ endpoint: "127.0.0.1:0", ...config });
  const receiver = detectionsFactory.create(ctx, parsed, { logs: sink }) as DetectionsReceiver;
  await receiver.start(noopHost);
  const scheme = parsed.tls ? "https" : "http";
  const url = `${scheme}://127.0.0.1:${receiver.address()!.port}${parsed.path}`;
  return { receiver, sink, ctx, url };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test replies are inspected field by field
  json: any;
}

/** A raw request: exact bytes and headers, no client-side helpfulness. */
export function send(
  url: string,
  body: string | Buffer | undefined,
  headers: Record<string, string> = {},
  options: RequestOptions & { method?: string } = {},
): Promise<Reply> {
  const target = new URL(url);
  const request = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      { method: "POST", ...options, headers: { "content-type": "application/json", ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

export function ndjson(items: unknown[]): string {
  return items.map((i) => JSON.stringify(i)).join("\n");
}
