import type { Counter } from "@opentelemetry/api";
import type { CreateContext } from "../../component/component.js";

/**
 * Reports refused API keys loudly but once per distinct status: a wrong key refuses every
 * request, and one clear line with the site beats thousands of identical ones.
 */
export class AuthFailureReporter {
  private readonly seen = new Set<number>();
  private readonly counter: Counter;

  constructor(
    private readonly ctx: CreateContext,
    private readonly site: string,
  ) {
    this.counter = ctx.telemetry.meter.createCounter("tripline_exporter_auth_failures", {
      description: "Requests the backend refused because of the credentials (HTTP 401/403).",
    });
  }

  report(status: number, url: string): void {
    this.counter.add(1, { exporter: this.ctx.id });
    if (this.seen.has(status)) return;
    this.seen.add(status);
    this.ctx.logger.error(
      { exporter: this.ctx.id, status, site: this.site, url },
      `Datadog refused the API key (HTTP ${status}): check api_key for site ${this.site} ` +
        "(a key from another site is refused too)",
    );
  }
}
