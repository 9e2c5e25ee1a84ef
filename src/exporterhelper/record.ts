import { crc32 } from "node:zlib";

/**
 * Framing of the persistent queue's segment files. Each record is
 *
 *   u32 body length | u32 CRC-32 of body | body = u64 sequence number + payload
 *
 * (big-endian). The length finds the end of a record; the CRC tells a record written in full
 * from one cut short or damaged by a crash. node:zlib's crc32 is the standard IEEE CRC-32.
 */
export const HEADER_BYTES = 8;
const SEQ_BYTES = 8;
/** Larger than any batch a queue holds: a length above it can only be damage. */
const MAX_BODY_BYTES = 512 * 1024 * 1024;

export interface FramedRecord {
  seq: number;
  payload: Buffer;
}

export function encodeFrame(seq: number, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + SEQ_BYTES + payload.length);
  frame.writeUInt32BE(SEQ_BYTES + payload.length, 0);
  frame.writeBigUInt64BE(BigInt(seq), HEADER_BYTES);
  payload.copy(frame, HEADER_BYTES + SEQ_BYTES);
  frame.writeUInt32BE(crc32(frame.subarray(HEADER_BYTES)), 4);
  return frame;
}

export interface ScanResult {
  records: FramedRecord[];
  /** Bytes from the start that hold whole, intact records. */
  validBytes: number;
}

/** Reads records until the end or the first one that is incomplete or fails its CRC. */
export function scanFrames(data: Buffer): ScanResult {
  const records: FramedRecord[] = [];
  let offset = 0;
  while (offset + HEADER_BYTES <= data.length) {
    const length = data.readUInt32BE(offset);
    const end = offset + HEADER_BYTES + length;
    if (length < SEQ_BYTES || length > MAX_BODY_BYTES || end > data.length) break;
    const body = data.subarray(offset + HEADER_BYTES, end);
    if (crc32(body) !== data.readUInt32BE(offset + 4)) break;
    records.push({ seq: Number(body.readBigUInt64BE(0)), payload: body.subarray(SEQ_BYTES) });
    offset = end;
  }
  return { records, validBytes: offset };
}
