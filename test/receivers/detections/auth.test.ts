import { createHmac } from "node:crypto";
import { Writable } from "node:stream";
import { gzipSync } from "node:zlib";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { detectionsConfigSchema } from "../../../src/receivers/detections/config.js";
import { detectionsFactory } from "../../../src/receivers/detections/factory.js";
import type { DetectionsReceiver } from "../../../src/receivers/detections/receiver.js";
import { noopHost, testContext } from "../../helpers/context.js";
import { Sink, type Started, send, startReceiver } from "./harness.js";

const TOKEN = "tok-8f1e2d3c4b5a69788796a5b4c3d2e1f0";
const SECRET = "whsec-5f4dcc3b5aa765d61d8327deb882cf99";
const BODY = JSON.stringify({ detection_id: "d-1", severity: "high" });

function sign(payload: Buffer | string, secret = SECRET): string {
  return `sha256=${createHmac("sha256", secret).update(payload).digest("hex")}`;
}

let started: Started | undefined;
afterEach(async () => {
  await started?.receiver.shutdown();
  started = undefined;
});

describe("detections receiver: bearer tokens", () => {
  it("answers 401 without a token, 403 with a wrong one, 200 with any configured one", async () => {
    started = await startReceiver({ auth: { bearer_tokens: [TOKEN, "second-token"] } });
    const { url, sink } = started;
    const missing = await send(url, BODY);
    expect(missing.status).toBe(401);
    expect(missing.headers["www-authenticate"]).toBe("Bearer");
    expect(missing.json).toEqual({ error: "missing credentials" });

    for (const wrong of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`]) {
      const reply = await send(url, BODY, { authorization: wrong });
      expect(reply.status, wrong).toBe(403);
      expect(reply.json).toEqual({ error: "invalid credentials" });
    }
    expect(sink.records()).toHaveLength(0);

    expect((await send(url, BODY, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await send(url, BODY, { authorization: "bearer second-token" })).status).toBe(200);
    expect(sink.records()).toHaveLength(2);
  });
});

describe("detections receiver: HMAC signatures", () => {
  it("checks sha256= over the body bytes as sent, before decompression", async () => {
    started = await startReceiver({ auth: { hmac: { secret: SECRET } } });
    const { url, sink } = started;
    const gz = gzipSync(BODY);
    const ok = await send(url, gz, {
      "content-encoding": "gzip",
      "x-signature-256": sign(gz),
    });
    expect(ok.status).toBe(200);

    // Signed over the decompressed text instead: refused.
    const inflated = await send(url, gz, {
      "content-encoding": "gzip",
      "x-signature-256": sign(BODY),
    });
    expect(inflated.status).toBe(403);
    expect((await send(url, BODY, { "x-signature-256": sign(BODY, "other") })).status).toBe(403);
    expect((await send(url, BODY, { "x-signature-256": "sha256=zz" })).status).toBe(403);
    expect((await send(url, BODY)).status).toBe(401);
    expect(sink.records()).toHaveLength(1);
  });

  it("with timestamp_header, signs timestamp.body and refuses stale timestamps", async () => {
    started = await startReceiver({
      auth: {
        hmac: { secret: SECRET, header: "X-Tripline-Signature", timestamp_header: "X-Timestamp" },
      },
    });
    const { url, sink } = started;
    const now = Math.floor(Date.now() / 1000);
    const headers = (ts: number, signature = sign(`${ts}.${BODY}`)) => ({
      "x-tripline-signature": signature,
      "x-timestamp": String(ts),
    });
    expect((await send(url, BODY, headers(now))).status).toBe(200);
    expect((await send(url, BODY, headers(now - 299))).status).toBe(200);
    const stale = await send(url, BODY, headers(now - 301));
    expect(stale.status).toBe(403);
    expect(stale.json).toEqual({ error: "invalid credentials" });
    expect((await send(url, BODY, headers(now + 301))).status).toBe(403);
    // A signature without the timestamp in the payload does not pass.
    expect((await send(url, BODY, headers(now, sign(BODY)))).status).toBe(403);
    // The signature alone, with no timestamp, is missing credentials.
    expect((await send(url, BODY, { "x-tripline-signature": sign(BODY) })).status).toBe(401);
    expect(sink.records()).toHaveLength(2);
  });

  it("accepts either method when both are configured", async () => {
    started = await startReceiver({ auth: { bearer_tokens: [TOKEN], hmac: { secret: SECRET } } });
    const { url } = started;
    expect((await send(url, BODY, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await send(url, BODY, { "x-signature-256": sign(BODY) })).status).toBe(200);
    expect((await send(url, BODY, { authorization: "Bearer nope" })).status).toBe(403);
  });
});

describe("detections receiver: secrets", () => {
  it("never logs tokens or secrets, whatever happens", async () => {
    let logged = "";
    const stream = new Writable({
      write(chunk, _enc, done) {
        logged += chunk.toString();
        done();
      },
    });
    const ctx = { ...testContext("detections"), logger: pino({ level: "trace" }, stream) };
    const config = detectionsConfigSchema.parse({
      endpoint: "127.0.0.1:0",
      auth: { bearer_tokens: [TOKEN], hmac: { secret: SECRET } },
    });
    const receiver = detectionsFactory.create(ctx, config, {
      logs: new Sink(),
    }) as DetectionsReceiver;
    await receiver.start(noopHost);
    try {
      const url = `http://127.0.0.1:${receiver.address()!.port}/v1/detections`;
      await send(url, BODY, { authorization: `Bearer ${TOKEN}` });
      await send(url, "[1, {}]", { authorization: `Bearer ${TOKEN}` });
      await send(url, BODY, { authorization: `Bearer ${TOKEN}x` });
      await send(url, BODY, { "x-signature-256": sign(BODY, SECRET) });
    } finally {
      await receiver.shutdown();
    }
    expect(logged).toContain("detections receiver listening");
    expect(logged).toContain("rejected items");
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain(SECRET);
  });
});
