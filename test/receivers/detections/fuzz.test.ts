import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Reply, type Started, send, startReceiver } from "./harness.js";

let started: Started;
beforeAll(async () => {
  started = await startReceiver({ max_request_body_size: 64 * 1024, max_items: 50, max_depth: 6 });
});
afterAll(async () => {
  await started.receiver.shutdown();
});

/** Every answer is 2xx or 4xx with a JSON body; 200 means at least one item reached the sink. */
function checkReply(reply: Reply): void {
  expect(reply.status === 200 || (reply.status >= 400 && reply.status < 500), reply.text).toBe(
    true,
  );
  expect(reply.headers["content-type"]).toBe("application/json");
  expect(reply.json, reply.text).toBeTypeOf("object");
  if (reply.status === 200) expect(typeof reply.json.accepted).toBe("number");
  else expect(typeof reply.json.error).toBe("string");
}

const encodings = fc.constantFrom(undefined, "gzip", "deflate", "zstd", "identity");
const contentTypes = fc.constantFrom("application/json", "application/x-ndjson", "text/plain");

async function post(body: string | Uint8Array, type: string, encoding?: string) {
  const headers: Record<string, string> = { "content-type": type };
  if (encoding) headers["content-encoding"] = encoding;
  return send(started.url, Buffer.from(body), headers);
}

describe("detections receiver: fuzzing", () => {
  it("random bytes, with or without a claimed encoding", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2048 }),
        contentTypes,
        encodings,
        async (b, t, e) => checkReply(await post(b, t, e)),
      ),
      { numRuns: 150 },
    );
  });

  it("random JSON values", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 8 }), contentTypes, async (value, type) =>
        checkReply(await post(JSON.stringify(value) ?? "null", type)),
      ),
      { numRuns: 150 },
    );
  });

  it("random NDJSON, mixing objects, other values and broken lines", async () => {
    const line = fc.oneof(
      fc.object({ maxDepth: 8 }).map((o) => JSON.stringify(o)),
      fc.jsonValue().map((v) => JSON.stringify(v) ?? ""),
      fc.string({ maxLength: 40 }),
      fc.constant('{"__proto__": {"x": 1}, "constructor": 2}'),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 60 }), async (lines) => {
        const reply = await post(lines.join("\n"), "application/x-ndjson");
        checkReply(reply);
        if (reply.status === 200 && reply.json.rejected) {
          expect(reply.json.accepted + reply.json.rejected).toBeLessThanOrEqual(lines.length);
        }
      }),
      { numRuns: 150 },
    );
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
