import { afterEach, describe, expect, it } from "vitest";
import { ChaosBackend } from "./chaos.js";
import { Gateway, gatewayConfig, generateLoad, report, settle, sleep } from "./harness.js";

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const HEADROOM_MIB = 150;
/** 503s the flood must have met before it stops: refusing has to hold, not happen once. */
const REFUSALS_WANTED = 50;

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
    let samplerError: unknown;
    const sampler = setInterval(() => {
      // A gateway that died (e.g. OOM-killed) has no /proc entry: record it for a clear failure.
      try {
        maxRss = Math.max(maxRss, gw.rssMiB());
      } catch (error) {
        samplerError ??= error;
      }
    }, 20);
    // The flood lasts until the limiter has been refusing for a while, not a fixed time: on a
    // loaded machine fewer requests get through in 3 s and memory might never reach the soft
    // limit, which would test nothing. The deadline only bounds a gateway that never refuses.
    const floodStart = Date.now();
    const result = await generateLoad({
      url: () => gw.receiverUrl,
      prefix: "flood",
      concurrency: 6,
      perRequest: 250,
      padBytes: 1_000,
      until: floodStart + 30_000,
      stop: (sofar) =>
        Date.now() - floodStart > 3_000 && (sofar.statuses.get(503) ?? 0) >= REFUSALS_WANTED,
    });
    backend.behave = () => "ok";
    const t = await settle(result, [backend], undefined, 30_000);
    clearInterval(sampler);
    report(
      "memory limit flood",
      t,
      `baseline_rss_mib=${baseline.toFixed(0)} limit_mib=${limit} max_rss_mib=${maxRss.toFixed(0)} refused=${result.refused} statuses=${JSON.stringify(Object.fromEntries(result.statuses))}`,
    );

    expect(result.statuses.get(503) ?? 0).toBeGreaterThanOrEqual(REFUSALS_WANTED);
    expect(result.acknowledged.size).toBeGreaterThan(1_000);
    expect(samplerError, `gateway died during the flood:\n${gw.stderr}`).toBeUndefined();
    expect(maxRss).toBeLessThan(limit);
    expect(t.lost).toBe(0);
  }, 90_000);
});
