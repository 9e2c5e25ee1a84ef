import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseHostPort } from "../config/endpoint.js";
import type { OtelTelemetry } from "./otel-telemetry.js";

export interface HealthState {
  /** The process is up and has not hit a fatal error. */
  healthy(): boolean;
  /** Every component has started and the service is not stopping. */
  ready(): boolean;
}

function json(res: import("node:http").ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** Serves /metrics, /healthz and /readyz on the self-telemetry address. */
export class TelemetryServer {
  private server?: Server;

  constructor(
    private readonly address: string,
    /** This process's telemetry, or a function giving the exposition text to serve. */
    private readonly metrics: OtelTelemetry | (() => Promise<string>),
    private readonly health: HealthState,
  ) {}

  async start(): Promise<AddressInfo> {
    const target = parseHostPort(this.address);
    if (!target) throw new Error(`invalid telemetry address "${this.address}"`);
    const server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      if (req.method !== "GET" && req.method !== "HEAD")
        return json(res, 405, { error: "method not allowed" });
      if (path === "/metrics") {
        if (typeof this.metrics !== "function")
          return this.metrics.prometheus.getMetricsRequestHandler(req, res);
        this.metrics().then(
          (text) =>
            res
              .writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" })
              .end(text),
          (error: unknown) => json(res, 500, { error: String(error) }),
        );
        return;
      }
      if (path === "/healthz") {
        const ok = this.health.healthy();
        return json(res, ok ? 200 : 503, { status: ok ? "ok" : "unhealthy" });
      }
      if (path === "/readyz") {
        const ok = this.health.ready();
        return json(res, ok ? 200 : 503, { status: ok ? "ready" : "not ready" });
      }
      json(res, 404, { error: `no such path ${path}; try /metrics, /healthz or /readyz` });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(target.port, target.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    return server.address() as AddressInfo;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Scrapers keep connections alive; nothing in flight here is worth waiting for.
    server.closeAllConnections();
    await closed;
  }
}
