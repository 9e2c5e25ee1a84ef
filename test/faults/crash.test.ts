import { appendFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { encodeFrame } from "../../src/exporterhelper/record.js";
import { ChaosBackend } from "./chaos.js";
import { Gateway, gatewayConfig, generateLoad, report, settle, sleep } from "./harness.js";

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** The persistent queue's folder for the datadog_logs exporter. */
const queueDir = (gw: Gateway) => join(gw.dir, "queue", "datadog_logs");

describe("faults: kill -9 with a persistent queue", () => {
  it("kill -9 under load, restart, drain: nothing acknowledged is lost (duplicates counted)", async () => {
    const backend = await new ChaosBackend().start();
    cleanup.push(() => backend.stop());
    // The backend takes some batches, then stops answering: when the process dies, batches are
    // both in flight and queued.
    backend.latencyMs = 50;
    const gw = new Gateway(gatewayConfig({ endpoint: backend.url, storage: true }));
    await gw.start();
    cleanup.push(() => gw.stop("SIGKILL"));

    const load = generateLoad({
      url: () => gw.receiverUrl,
      prefix: "kill",
      concurrency: 4,
      perRequest: 25,
      until: Date.now() + 1_500,
    });
    await sleep(500);
    backend.behave = () => "hang";
    await sleep(500);
    gw.signal("SIGKILL");
    expect(await gw.exited).toBe(null);
    const result = await load;
    const deliveredBeforeRestart = backend.delivered.size;

    backend.behave = () => "ok";
    await gw.start();
    const t = await settle(result, [backend]);
    report("kill -9 and restart", t, `delivered_before_restart=${deliveredBeforeRestart}`);

    expect(result.acknowledged.size).toBeGreaterThan(100);
    // The crash really left work behind for the second run.
    expect(deliveredBeforeRestart).toBeLessThan(result.acknowledged.size);
    expect(
      gw
        .logs()
        .some((l) => l.msg === "persistent queue: resending batches left by the previous run"),
    ).toBe(true);
    expect(t.lost).toBe(0);
  });

  it("a segment whose last record was cut short by the crash: the tail is cut off, the rest is delivered", async () => {
    const backend = await new ChaosBackend().start();
    cleanup.push(() => backend.stop());
    await backend.down();
    const gw = new Gateway(gatewayConfig({ endpoint: backend.url, storage: true }));
    await gw.start();
    cleanup.push(() => gw.stop("SIGKILL"));

    const result = await generateLoad({
      url: () => gw.receiverUrl,
      prefix: "torn",
      concurrency: 4,
      perRequest: 25,
      until: Date.now() + 800,
    });
    gw.signal("SIGKILL");
    await gw.exited;

    // What a crash in the middle of an append leaves: the first half of a record's frame.
    const segments = readdirSync(queueDir(gw))
      .filter((n) => n.startsWith("seg-"))
      .sort();
    expect(segments.length).toBeGreaterThan(0);
    const last = join(queueDir(gw), segments.at(-1)!);
    const sizeBefore = statSync(last).size;
    const torn = encodeFrame(1e9, Buffer.from(JSON.stringify({ partial: "x".repeat(400) })));
    appendFileSync(last, torn.subarray(0, torn.length >> 1));

    await backend.up();
    await gw.start();
    const t = await settle(result, [backend]);
    report("truncated last segment", t);

    const warning = gw
      .logs()
      .find((l) => l.msg === "persistent queue: truncated or damaged segment tail cut off");
    expect(warning).toMatchObject({
      segment: segments.at(-1),
      offset: sizeBefore,
      discarded_bytes: torn.length >> 1,
    });
    expect(result.acknowledged.size).toBeGreaterThan(100);
    expect(t.lost).toBe(0);
  });
});
