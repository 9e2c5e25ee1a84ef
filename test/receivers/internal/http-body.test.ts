// What readBody gives back for a body in several chunks, with and without a Content-Length or
// compression: the exact bytes, every raw byte to the signature tap, and the limits and errors
// a client is answered with.
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { BodyError, readBody } from "../../../src/receivers/internal/http-body.js";

function request(
  chunks: Buffer[],
  headers: Record<string, string>,
  end: "end" | "abort" = "end",
): IncomingMessage {
  let i = 0;
  const stream = new Readable({
    read() {
      if (i < chunks.length) this.push(chunks[i++]);
      else if (end === "end") this.push(null);
      else this.destroy(new Error("aborted"));
    },
  });
  return Object.assign(stream, { headers }) as unknown as IncomingMessage;
}

function split(body: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let o = 0; o < body.length; o += size) chunks.push(body.subarray(o, o + size));
  return chunks;
}

const body = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 31) % 251));

describe("readBody", () => {
  it("returns the exact bytes, with or without a Content-Length", async () => {
    const sized = request(split(body, 16_384), { "content-length": String(body.length) });
    expect((await readBody(sized, 1_000_000)).equals(body)).toBe(true);
    const chunked = request(split(body, 16_384), {});
    expect((await readBody(chunked, 1_000_000)).equals(body)).toBe(true);
    const empty = request([], { "content-length": "0" });
    expect((await readBody(empty, 1_000_000)).length).toBe(0);
  });

  it("shows every byte as sent to onRawChunk, in order", async () => {
    const seen: Buffer[] = [];
    const onRawChunk = (chunk: Buffer) => seen.push(Buffer.from(chunk));
    const sized = request(split(body, 7_000), { "content-length": String(body.length) });
    await readBody(sized, 1_000_000, { onRawChunk });
    expect(Buffer.concat(seen).equals(body)).toBe(true);
    seen.length = 0;
    const gzipped = gzipSync(body);
    const compressed = request(split(gzipped, 1_000), { "content-encoding": "gzip" });
    expect((await readBody(compressed, 1_000_000, { onRawChunk })).equals(body)).toBe(true);
    expect(Buffer.concat(seen).equals(gzipped)).toBe(true);
  });

  it("refuses a body that grows past the limit while streaming, plain or decompressed", async () => {
    const plain = readBody(request(split(body, 16_384), {}), 50_000);
    await expect(plain).rejects.toMatchObject({
      status: 413,
      message: "request body exceeds max_request_body_size 50000 bytes",
    });
    const bomb = request([gzipSync(Buffer.alloc(1_000_000))], { "content-encoding": "gzip" });
    await expect(readBody(bomb, 50_000)).rejects.toMatchObject({
      status: 413,
      message: "request body exceeds max_request_body_size 50000 bytes after decompression",
    });
  });

  it("answers 400 when the client goes away mid-body or the body is not what it claims", async () => {
    const aborted = request(split(body, 16_384).slice(0, 2), {}, "abort");
    await expect(readBody(aborted, 1_000_000)).rejects.toMatchObject({
      status: 400,
      message: "cannot read body: aborted",
    });
    const bad = request([Buffer.from("not gzip at all")], { "content-encoding": "gzip" });
    const error = await readBody(bad, 1_000_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BodyError);
    expect((error as BodyError).status).toBe(400);
    expect((error as BodyError).message).toMatch(/^cannot decompress gzip body: /);
  });
});
