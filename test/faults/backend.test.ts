import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ChaosBackend } from "./chaos.js";
import {
  deadLettered,
  Gateway,
  gatewayConfig,
  generateLoad,
  report,
  settle,
  sleep,
  tally,
} from "./harness.js";

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe("faults: a misbehaving backend", () => {
  it("backend down under steady load (refusing, hanging, resetting, 500), then up: nothing acknowledged is lost", async () => {
    const backend = await new ChaosBackend().start();
    cleanup.push(() => backend.stop());
    const gw = await new Gateway(gatewayConfig({ endpoint: backend.url })).start();
    cleanup.push(() => gw.stop("SIGKILL"));

    const start = Date.now();
    const load = generateLoad({
      url: () => gw.receiverUrl,
      prefix: "down",
      concurrency: 4,
      perRequest: 20,
      until: start + 3_500,
    });
    // The outage, scaled down from 30 s: each failure mode for a while, then healthy again.
    await backend.down();
    await sleep(1_000);
    await backend.up();
    backend.behave = () => "hang";
    await sleep(700);
    backend.behave = () => "ok";
    backend.resetMidBody = true;
    await sleep(700);
    backend.resetMidBody = false;
    backend.behave = () => ({ status: 500 });
    await sleep(600);
    backend.behave = () => "ok";
    const result = await load;
    const t = await settle(result, [backend]);
    report(
      "backend down then up",
      t,
      `outcomes=${JSON.stringify(Object.fromEntries(backend.outcomes))}`,
    );

    expect(result.acknowledged.size).toBeGreaterThan(100);
    // Each failure mode was really met by the exporter.
    for (const outcome of ["hang", "reset", "500", "202"]) {
      expect(backend.outcomes.get(outcome) ?? 0, outcome).toBeGreaterThan(0);
    }
    expect(t.lost).toBe(0);
  });

  it("backend throttling half the requests (429 with Retry-After, 503 without), slow, refusing poison payloads with 400: nothing acknowledged is lost", async () => {
    const backend = await new ChaosBackend().start();
    cleanup.push(() => backend.stop());
    backend.latencyMs = 20;
    let n = 0;
    backend.behave = (body) => {
      if (body.includes("poison")) return { status: 400 };
      n++;
      if (n % 4 === 1) return { status: 429, retryAfter: "0.1" };
      if (n % 4 === 3) return { status: 503 };
      return "ok";
    };
    const gw = await new Gateway(
      gatewayConfig({ endpoint: backend.url, deadLetter: true }),
    ).start();
    cleanup.push(() => gw.stop("SIGKILL"));

    const result = await generateLoad({
      url: () => gw.receiverUrl,
      prefix: "throttle",
      concurrency: 4,
      perRequest: 20,
      until: Date.now() + 2_000,
      poisonEvery: 997,
    });
    const dead = () => deadLettered(join(gw.dir, "dead-letter.jsonl"));
    const t = await settle(result, [backend], dead);
    report(
      "backend throttling 50%",
      t,
      `outcomes=${JSON.stringify(Object.fromEntries(backend.outcomes))}`,
    );

    expect(result.acknowledged.size).toBeGreaterThan(100);
    expect(backend.outcomes.get("429") ?? 0).toBeGreaterThan(0);
    expect(backend.outcomes.get("503") ?? 0).toBeGreaterThan(0);
    // Poisoned batches are given up on, but kept: in the dead letter, not lost.
    expect(backend.outcomes.get("400") ?? 0).toBeGreaterThan(0);
    expect(t.deadLettered).toBeGreaterThan(0);
    expect(t.lost).toBe(0);
  });

  it("SIGTERM while the backend hangs: the memory queue stops at the shutdown deadline and hands what is left to the dead letter", async () => {
    const backend = await new ChaosBackend().start();
    cleanup.push(() => backend.stop());
    backend.behave = () => "hang";
    const gw = await new Gateway(
      gatewayConfig({ endpoint: backend.url, deadLetter: true, shutdownTimeout: "2s" }),
    ).start();
    cleanup.push(() => gw.stop("SIGKILL"));

    const result = await generateLoad({
      url: () => gw.receiverUrl,
      prefix: "deadline",
      concurrency: 2,
      perRequest: 20,
      until: Date.now() + 500,
    });
    // Exit 0 means every component finished within shutdown_timeout: the exporter was given a
    // deadline before it, instead of draining for its own default.
    expect(await gw.stop("SIGTERM")).toBe(0);
    const t = tally(result, [backend], deadLettered(join(gw.dir, "dead-letter.jsonl")));
    report("shutdown deadline with a hanging backend", t);

    expect(
      gw.logs().some((l) => l.msg === "shutdown deadline reached before the sending queue drained"),
    ).toBe(true);
    expect(result.acknowledged.size).toBeGreaterThan(20);
    expect(t.delivered).toBe(0);
    expect(t.lost).toBe(0);
  });
});
