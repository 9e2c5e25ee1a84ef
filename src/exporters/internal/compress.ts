import { promisify } from "node:util";
import { constants, gzip, gzipSync, type ZlibOptions } from "node:zlib";
import { z } from "zod";

/**
 * Request-body compression shared by the HTTP exporters: the Collector's confighttp
 * `compression` + `compression_params` (configcompression), limited to what Tripline sends.
 */

/**
 * Levels configcompression accepts for gzip (Go's compress/flate constants): -1 the library
 * default (zlib's 6), -2 Huffman coding only, 0 no compression (stored blocks in a gzip frame),
 * 1 fastest … 9 smallest.
 */
const GZIP_LEVEL = { huffmanOnly: -2, default: -1, max: 9 } as const;

export const compressionParamsSchema = z
  .strictObject({
    level: z
      .number()
      .int()
      .optional()
      .describe(
        "gzip level: 1 (fastest) to 9 (smallest), 0 stored, -1 the library default (6), " +
          "-2 Huffman only. Unset: -1",
      ),
  })
  .describe("parameters of the chosen compression, as in the Collector's confighttp");

export type CompressionParams = z.output<typeof compressionParamsSchema>;

/** What a schema's superRefine context must offer; zod's ctx fits. */
interface IssueSink {
  addIssue(issue: { code: "custom"; path: PropertyKey[]; message: string }): void;
}

/**
 * Config-time check of `compression_params` against the algorithm that will use it, with the
 * issue on `compression_params.level`. `algorithm` names what actually compresses the body
 * ("none" when nothing does, "snappy" where the format fixes snappy), `why` says where it comes
 * from when that is not the `compression` option (e.g. "encoding protobuf").
 */
export function checkCompressionParams(
  algorithm: "gzip" | "none" | "snappy",
  params: CompressionParams | undefined,
  ctx: IssueSink,
  why = `compression ${algorithm}`,
): void {
  const level = params?.level;
  if (level === undefined) return;
  const issue = (message: string) =>
    ctx.addIssue({ code: "custom", path: ["compression_params", "level"], message });
  if (algorithm !== "gzip") {
    issue(
      algorithm === "none"
        ? `${why} compresses nothing, so it takes no level; remove compression_params or use compression: gzip`
        : `${why} compresses with snappy, which has no level; remove compression_params`,
    );
    return;
  }
  if (level < GZIP_LEVEL.huffmanOnly || level > GZIP_LEVEL.max) {
    issue(
      "expected a gzip level: 1 (fastest) to 9 (smallest), 0 stored, -1 default (6), " +
        `-2 Huffman only (got ${level})`,
    );
  }
}

/** Compresses request bodies; `encoding` is the Content-Encoding it produces. */
export interface Compressor {
  readonly encoding: "gzip";
  compress(body: Uint8Array | string): Promise<Buffer>;
}

/**
 * Below this many bytes (or UTF-16 units of a string body) gzipSync is the cheaper way, in
 * event-loop time too: async gzip costs ~30–60 µs on the main thread whatever the size (stream
 * set-up and the threadpool hand-off) and ~40–100 µs more CPU in all, while gzipSync of an 8 KB
 * detection body takes ~30–45 µs at level 6.
 */
export const SYNC_BELOW_BYTES = 8 * 1024;

const gzipAsync = promisify(gzip);

/** zlib options for a configured level; none for the default, so the bytes stay zlib's own. */
function gzipOptions(level: number | undefined): ZlibOptions {
  if (level === undefined || level === GZIP_LEVEL.default) return {};
  if (level === GZIP_LEVEL.huffmanOnly) return { strategy: constants.Z_HUFFMAN_ONLY };
  return { level };
}

/** A gzip compressor at the configured level. */
export function gzipCompressor(params?: CompressionParams): Compressor {
  const options = gzipOptions(params?.level);
  return {
    encoding: "gzip",
    // Large bodies are compressed on the libuv threadpool so the event loop keeps serving
    // requests meanwhile; small ones inline, where the hand-off would cost more than the work.
    compress: async (body) =>
      body.length < SYNC_BELOW_BYTES ? gzipSync(body, options) : gzipAsync(body, options),
  };
}

/** The compressor for `compression`, or undefined when bodies go as they are. */
export function createCompressor(
  compression: "gzip" | "none",
  params?: CompressionParams,
): Compressor | undefined {
  return compression === "gzip" ? gzipCompressor(params) : undefined;
}
