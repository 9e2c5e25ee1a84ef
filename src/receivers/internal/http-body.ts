import type { IncomingMessage } from "node:http";
import { Transform, type TransformCallback } from "node:stream";
import { createGunzip, createInflate } from "node:zlib";
import { Decompress } from "fzstd";

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

export interface ReadBodyOptions {
  /** Sees every byte exactly as sent, before decompression (e.g. to check a signature). */
  onRawChunk?(chunk: Buffer): void;
}

function tooLarge(limit: number, what: string): BodyError {
  return new BodyError(413, `request body exceeds max_request_body_size ${limit} bytes${what}`);
}

/**
 * zstd through fzstd (pure JS; node:zlib has no zstd before Node 22.15). fzstd decodes a whole
 * pushed chunk synchronously, and a few KiB of zstd can expand to gigabytes, so the size limit
 * is enforced here, block by block, rather than by the reader after the fact.
 */
class ZstdDecompressStream extends Transform {
  private size = 0;
  private readonly decompressor = new Decompress((data) => {
    this.size += data.length;
    if (this.size > this.limit) throw tooLarge(this.limit, " after decompression");
    // fzstd may hand out a view of its window buffer, which it overwrites later: copy.
    this.push(Buffer.from(data));
  });

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.decompressor.push(chunk);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.decompressor.push(new Uint8Array(0), true);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }
}

/**
 * Counts (and shows to `onRawChunk`) the bytes as sent. The limit applies to them too: a
 * deflate stream of empty blocks never grows the decompressed size, yet could be sent forever.
 */
class RawTap extends Transform {
  private size = 0;

  constructor(
    private readonly limit: number,
    private readonly onRawChunk: ((chunk: Buffer) => void) | undefined,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limit) {
      callback(tooLarge(this.limit, " as sent"));
      return;
    }
    this.onRawChunk?.(chunk);
    callback(null, chunk);
  }
}

function decoder(encoding: string | undefined, limit: number): Transform | undefined {
  switch ((encoding ?? "identity").toLowerCase()) {
    case "identity":
    case "":
      return undefined;
    case "gzip":
    case "x-gzip":
      return createGunzip();
    case "deflate":
      return createInflate();
    case "zstd":
      return new ZstdDecompressStream(limit);
    default:
      throw new BodyError(
        415,
        `unsupported Content-Encoding "${encoding}" (supported: gzip, deflate, zstd)`,
      );
  }
}

/**
 * Reads a request body, decompressing as it goes and stopping as soon as the decompressed size
 * passes `limit`, so a small gzip or zstd bomb cannot make the process buffer gigabytes.
 */
export async function readBody(
  req: IncomingMessage,
  limit: number,
  options: ReadBodyOptions = {},
): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  const encoding = req.headers["content-encoding"];
  if (!encoding && Number.isFinite(declared) && declared > limit) {
    throw new BodyError(
      413,
      `request body of ${declared} bytes exceeds max_request_body_size ${limit}`,
    );
  }
  const inflater = decoder(encoding, limit);
  // Piped, not pipeline(): a failure must not destroy the request, or the 413/400 answer
  // could never be written to its socket.
  const tap = inflater ? new RawTap(limit, options.onRawChunk) : undefined;
  if (tap && inflater) {
    req.pipe(tap).pipe(inflater);
    tap.once("error", (error) => inflater.destroy(error));
  }
  const source = inflater ?? req;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      const buffer = chunk as Buffer;
      if (!inflater) options.onRawChunk?.(buffer);
      size += buffer.length;
      if (size > limit) throw tooLarge(limit, inflater ? " after decompression" : "");
      chunks.push(buffer);
    }
  } catch (error) {
    if (tap && inflater) {
      req.unpipe(tap);
      tap.unpipe(inflater);
    }
    if (error instanceof BodyError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new BodyError(
      400,
      inflater ? `cannot decompress ${encoding} body: ${reason}` : `cannot read body: ${reason}`,
    );
  }
  return Buffer.concat(chunks, size);
}
