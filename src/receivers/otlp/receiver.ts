import type { AddressInfo } from "node:net";
import type { CreateContext, Receiver, SignalConsumers } from "../../component/component.js";
import type { OtlpConfig } from "./config.js";
import { OtlpGrpcServer } from "./grpc.js";
import { OtlpHttpServer } from "./http.js";
import { Ingest } from "./ingest.js";

/** The Collector's `otlp` receiver: OTLP logs and metrics over HTTP and/or gRPC. */
export class OtlpReceiver implements Receiver {
  private readonly http?: OtlpHttpServer;
  private readonly grpc?: OtlpGrpcServer;

  constructor(
    private readonly ctx: CreateContext,
    config: OtlpConfig,
    next: SignalConsumers,
  ) {
    const { http, grpc } = config.protocols;
    if (http) {
      this.http = new OtlpHttpServer(
        http,
        new Ingest(next, ctx.telemetry.receiver(ctx.id, "http")),
      );
    }
    if (grpc) {
      this.grpc = new OtlpGrpcServer(
        grpc,
        new Ingest(next, ctx.telemetry.receiver(ctx.id, "grpc")),
      );
    }
  }

  async start(): Promise<void> {
    if (this.http) {
      const address = await this.http.start();
      this.ctx.logger.info(
        { endpoint: `${address.address}:${address.port}`, transport: "http" },
        "otlp receiver listening",
      );
    }
    if (this.grpc) {
      try {
        const port = await this.grpc.start();
        this.ctx.logger.info({ port, transport: "grpc" }, "otlp receiver listening");
      } catch (error) {
        // Leave nothing listening when start fails half-way.
        await this.http?.stop();
        throw error;
      }
    }
  }

  async shutdown(): Promise<void> {
    await Promise.all([this.http?.stop(), this.grpc?.stop()]);
  }

  /** Where each protocol listens (useful with port 0). */
  addresses(): { http?: AddressInfo; grpc?: number } {
    return { http: this.http?.address(), grpc: this.grpc?.boundPort() };
  }
}
