import { createRequire } from "node:module";

/**
 * Snappy block format (not the framed/streaming format), which both Loki's protobuf push and
 * Prometheus remote write require. snappyjs is pure JavaScript and ships no type declarations,
 * so it is loaded through require with the two functions typed here.
 */
interface SnappyJs {
  compress(input: Uint8Array): Uint8Array;
  uncompress(input: Uint8Array, maxLength?: number): Uint8Array;
}

const snappy = createRequire(import.meta.url)("snappyjs") as SnappyJs;

export function snappyCompress(input: Uint8Array): Buffer {
  const out = snappy.compress(input);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** `maxLength` refuses a block whose header claims more bytes, before allocating them. */
export function snappyUncompress(input: Uint8Array, maxLength?: number): Buffer {
  const out = snappy.uncompress(input, maxLength);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}
