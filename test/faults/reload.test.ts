import { afterEach, describe, expect, it } from "vitest";
import { ChaosBackend } from "./chaos.js";
import { Gateway, gatewayConfig, generateLoad, report, settle, sleep } from "./harness.js";

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

type Summary = { added: string[]; removed: string[]; restarted: string[]; kept: string[] };

describe("faults: hot reload under load", () => {
  for (const queue of ["memory", "persistent"] as const) {
    it(`SIGHUP with a changed exporter endpoint (${queue} queue${queue === "persistent" ? ", old backend down" : ""}): the receiver keeps listening, nothing acknowledged is lost`, async () => {
      const a = await new ChaosBackend().start();
      const b = await new ChaosBackend().start();
      cleanup.push(
        () => a.stop(),
        () => b.stop(),
      );
      a.latencyMs = 20;
      const storage = queue === "persistent";
      const gw = await new Gateway(gatewayConfig({ endpoint: a.url, storage })).start();
      cleanup.push(() => gw.stop("SIGKILL"));

      const load = generateLoad({
        url: () => gw.receiverUrl,
        prefix: `hup${queue}`,
        concurrency: 4,
        perRequest: 20,
        until: Date.now() + 2_000,
      });
      await sleep(700);
      // With a persistent queue the old backend is gone: what is queued for it must reach the
      // new one through the queue on disk.
      if (storage) await a.down();
      gw.writeConfig(gatewayConfig({ endpoint: b.url, storage }));
      gw.signal("SIGHUP");
      await gw.waitForLog("configuration reloaded");
      const result = await load;
      const t = await settle(result, [a, b]);
      report(
        `SIGHUP endpoint change (${queue} queue)`,
        t,
        `to_old=${a.delivered.size} to_new=${b.delivered.size} refused=${result.refused} network_errors=${result.networkErrors}`,
      );

      const summary = gw
        .logs()
        .find((l) => l.msg === "configuration reloaded") as unknown as Summary;
      expect(summary.kept).toContain("receiver detections");
      expect(summary.restarted).toContain("exporter datadog_logs");
      expect(summary.restarted).toContain("processor batch (pipeline logs)");
      // The listener never closed: no sender saw a refused or reset connection.
      expect(result.networkErrors).toBe(0);
      expect(result.acknowledged.size).toBeGreaterThan(100);
      expect(a.delivered.size).toBeGreaterThan(0);
      expect(b.delivered.size).toBeGreaterThan(0);
      expect(t.lost).toBe(0);
    });
  }

  it("SIGHUP with an invalid config keeps the old graph running; a valid edit is then picked up from the file", async () => {
    const backend = await new ChaosBackend().start();
    cleanup.push(() => backend.stop());
    const other = await new ChaosBackend().start();
    cleanup.push(() => other.stop());
    const gw = await new Gateway(gatewayConfig({ endpoint: backend.url })).start();
    cleanup.push(() => gw.stop("SIGKILL"));

    const load = generateLoad({
      url: () => gw.receiverUrl,
      prefix: "invalid",
      concurrency: 4,
      perRequest: 20,
      until: Date.now() + 2_500,
    });
    await sleep(400);
    gw.writeConfig(
      gatewayConfig({ endpoint: backend.url }).replace(
        "send_batch_size: 500",
        "send_batch_sise: 500",
      ),
    );
    gw.signal("SIGHUP");
    await gw.waitForLog("configuration reload rejected: the running configuration is unchanged");
    const deliveredAtRejection = backend.delivered.size;
    await sleep(400);
    // Still serving with the old graph.
    expect(backend.delivered.size).toBeGreaterThan(deliveredAtRejection);

    // No signal this time: the file watch notices the edit.
    gw.writeConfig(gatewayConfig({ endpoint: other.url }));
    await gw.waitForLog("configuration reloaded", 5_000);
    const result = await load;
    const t = await settle(result, [backend, other]);
    report("SIGHUP invalid config, then file edit", t, `refused=${result.refused}`);

    const diagnostics = gw.logs().filter((l) => l.msg === "invalid configuration");
    expect(String(diagnostics[0]?.diagnostic)).toContain("send_batch_sise");
    expect(result.networkErrors).toBe(0);
    expect(other.delivered.size).toBeGreaterThan(0);
    expect(t.lost).toBe(0);
  });
});
