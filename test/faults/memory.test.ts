import { afterEach, describe, expect, it } from "vitest";
import { ChaosBackend } from "./chaos.js";
import { Gateway, gatewayConfig, generateLoad, report, settle, sleep } from "./harness.js";

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const HEADROOM_MIB = 150;

describe.runIf(process.platform === "linux")("faults: memory limit", () => {
  it("a flood larger than the limit is refused with 503s, RSS stays under the limit, nothing acknowledged is lost", async () => {
    const backend = await new ChaosBackend().start();
    cleanup.push(() => backend.stop());

    // The limit is relative to what this machine's Tripline needs idle.
    const probe = await new Gateway(
      gatewayConfig({ endpoint: backend.url, memoryLimitMiB: 100_000 }),
    ).start();
    await sleep(200);
    const baseline = probe.rssMiB();
    await probe.stop();
    const limit = Math.ceil(baseline + HEADROOM_MIB);

    // A backend that stops answering lets the memory queue grow until the limiter must refuse.
    backend.behave = () => "hang";
    const gw = await new Gateway(
      gatewayConfig({
        endpoint: backend.url,
        memoryLimitMiB: limit,
        spikeLimitMiB: 100,
        queueSize: 5_000_000,
      }),
    ).start();
    cleanup.push(() => gw.stop("SIGKILL"));

    let maxRss = 0;
    const sampler = setInterval(() => {
      maxRss = Math.max(maxRss, gw.rssMiB());
    }, 20);
    const result = await generateLoad({
      url: () => gw.receiverUrl,
      prefix: "flood",
      concurrency: 6,
      perRequest: 250,
      padBytes: 1_000,
      until: Date.now() + 3_000,
    });
    backend.behave = () => "ok";
    const t = await settle(result, [backend], undefined, 30_000);
    clearInterval(sampler);
    report(
      "memory limit flood",
      t,
      `baseline_rss_mib=${baseline.toFixed(0)} limit_mib=${limit} max_rss_mib=${maxRss.toFixed(0)} refused=${result.refused} statuses=${JSON.stringify(Object.fromEntries(result.statuses))}`,
    );

    expect(result.statuses.get(503) ?? 0).toBeGreaterThan(0);
    expect(result.acknowledged.size).toBeGreaterThan(1_000);
    expect(maxRss).toBeLessThan(limit);
    expect(t.lost).toBe(0);
  }, 60_000);
});
