/**
 * Random bytes and random JSON at /v1/logs, in both content types: the server must answer every
 * request with 200 or a 4xx carrying a google.rpc.Status, and keep serving afterwards.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeLogsRequest } from "../../../src/pdata/otlp-json.js";
import {
  decodeLogsResponse,
  decodeStatus,
  encodeLogsProto,
} from "../../../src/pdata/otlp-proto.js";
import { logRecords } from "../../helpers/records.js";
import { type Started, startReceiver } from "./harness.js";

let s: Started;

beforeAll(async () => {
  s = await startReceiver({ http: { endpoint: "127.0.0.1:0", max_request_body_size: 64 * 1024 } });
});

afterAll(() => s.receiver.shutdown());

async function send(body: Uint8Array | string, contentType: string) {
  const res = await fetch(`${s.httpUrl}/v1/logs`, {
    method: "POST",
    body,
    headers: { "content-type": contentType },
  });
  return { status: res.status, body: new Uint8Array(await res.arrayBuffer()) };
}

function checkAnswer(answer: { status: number; body: Uint8Array }, proto: boolean): void {
  if (answer.status === 200) {
    if (proto) decodeLogsResponse(answer.body);
    else JSON.parse(Buffer.from(answer.body).toString());
    return;
  }
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  expect(answer.body.length).toBeGreaterThan(0);
  const status = proto
    ? decodeStatus(answer.body)
    : (JSON.parse(Buffer.from(answer.body).toString()) as { code: number; message: string });
  expect(status.code).toBe(3);
  expect(status.message.length).toBeGreaterThan(0);
}

/** Valid requests with one part swapped for a random value: these reach the field checks. */
const mangledJson = fc
  .tuple(fc.integer({ min: 0, max: 7 }), fc.jsonValue())
  .map(([where, value]) => {
    type Node = Record<string, unknown>;
    const request = encodeLogsRequest(logRecords(2)) as unknown as Node;
    const rl = (request.resourceLogs as Node[])[0]!;
    const sl = (rl.scopeLogs as Node[])[0]!;
    const lr = (sl.logRecords as Node[])[0]!;
    const targets: [Node, string][] = [
      [request, "resourceLogs"],
      [rl, "resource"],
      [rl, "scopeLogs"],
      [sl, "scope"],
      [lr, "body"],
      [lr, "attributes"],
      [lr, "timeUnixNano"],
      [lr, "traceId"],
    ];
    const [target, key] = targets[where]!;
    target[key] = value;
    return JSON.stringify(request);
  });

/** Valid protobuf with random bytes flipped, cut or appended. */
const mangledProto = fc
  .tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.integer({ min: 0, max: 2 }))
  .map(([at, noise, how]) => {
    const bytes = Buffer.from(encodeLogsProto(logRecords(2)));
    const i = at % bytes.length;
    if (how === 0) return Buffer.concat([bytes.subarray(0, i), noise, bytes.subarray(i)]);
    if (how === 1) return bytes.subarray(0, i);
    noise.forEach((b, k) => {
      bytes[(i + k) % bytes.length] = b;
    });
    return bytes;
  });

describe("fuzzed OTLP/HTTP requests", () => {
  // 300 requests: allow for a loaded machine running the other test files alongside.
  it("never crash the server, and every answer is 200 or a 4xx with a Status body", {
    timeout: 20_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 2048 }), mangledProto), async (bytes) =>
        checkAnswer(await send(bytes, "application/x-protobuf"), true),
      ),
      { numRuns: 150 },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.json(), fc.string(), mangledJson), async (text) =>
        checkAnswer(await send(text, "application/json"), false),
      ),
      { numRuns: 150 },
    );
    const ok = await send(encodeLogsProto(logRecords(1)), "application/x-protobuf");
    expect(ok.status).toBe(200);
  });
});
