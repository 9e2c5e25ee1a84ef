import type { IncomingMessage } from "node:http";
import type { Readable, Transform } from "node:stream";
import { createGunzip, createInflate } from "node:zlib";

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

function decoder(encoding: string | undefined): Transform | undefined {
  switch ((encoding ?? "identity").toLowerCase()) {
    case "identity":
    case "":
      return undefined;
    case "gzip":
    case "x-gzip":
      return createGunzip();
    case "deflate":
      return createInflate();
    default:
      throw new BodyError(
        415,
        `unsupported Content-Encoding "${encoding}" (supported: gzip, deflate)`,
      );
  }
}

/**
 * Reads a request body, decompressing as it goes and stopping as soon as the decompressed size
 * passes `limit`, so a small gzip bomb cannot make the process buffer gigabytes.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  const encoding = req.headers["content-encoding"];
  if (!encoding && Number.isFinite(declared) && declared > limit) {
    throw new BodyError(
      413,
      `request body of ${declared} bytes exceeds max_request_body_size ${limit}`,
    );
  }
  const inflater = decoder(encoding);
  const source: Readable = inflater ? req.pipe(inflater) : req;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        throw new BodyError(
          413,
          `request body exceeds max_request_body_size ${limit} bytes${inflater ? " after decompression" : ""}`,
        );
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (inflater) req.unpipe(inflater);
    if (error instanceof BodyError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new BodyError(
      400,
      inflater ? `cannot decompress ${encoding} body: ${reason}` : `cannot read body: ${reason}`,
    );
  }
  return Buffer.concat(chunks, size);
}
