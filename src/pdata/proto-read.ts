/**
 * Protobuf wire-format reads straight from a Buffer, for the hand-written OTLP logs decoder.
 *
 * protobufjs' Reader is exact but pays on every field: a method call per varint, strings built
 * by concatenation (later flattened and hashed again when used as property keys), a Long per
 * 64-bit value. A passthrough decodes tens of thousands of short strings and one-byte tags a
 * second, so the common cases are read here inline: one- and two-byte varints, in-bounds fixed
 * widths, ASCII strings (the usual OTLP key and value). Every other case (longer varints, a
 * length past the end, non-ASCII text, unknown fields to skip) is handed to protobufjs' own
 * Reader at the same position and limit, so what is accepted, what is rejected and the error
 * messages stay exactly protobufjs'.
 */
import protobuf from "protobufjs";

const { Reader } = protobuf;
type Reader = protobuf.Reader;

/** Buffer's one-byte and hex slicers: undocumented, but what Buffer#toString itself calls. */
type SlicingBuffer = Buffer & {
  latin1Slice(start: number, end: number): string;
  hexSlice(start: number, end: number): string;
};

/** A position in a request and the end of the message being read. */
export class Cursor {
  readonly buf: SlicingBuffer;
  pos = 0;
  end: number;
  private reader: Reader | undefined;

  constructor(bytes: Uint8Array) {
    const buf = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.buf = buf as SlicingBuffer;
    this.end = buf.length;
  }

  /** protobufjs' Reader at `pos` within the current limit, for the cases read slowly. */
  slow(pos: number = this.pos): Reader {
    if (this.reader === undefined) this.reader = Reader.create(this.buf);
    const r = this.reader;
    r.pos = pos;
    r.len = this.end;
    return r;
  }
}

/** Runs a read protobufjs will refuse; the final throw only keeps the types honest. */
function refuse(r: Reader, read: (r: Reader) => unknown): never {
  read(r);
  throw RangeError("index out of range");
}

/** A varint as protobufjs' `uint32()` reads it (tags, lengths of nested messages, counts). */
export function uint32(c: Cursor): number {
  const buf = c.buf;
  const pos = c.pos;
  if (pos + 1 < c.end) {
    const b0 = buf[pos]!;
    if (b0 < 0x80) {
      c.pos = pos + 1;
      return b0;
    }
    const b1 = buf[pos + 1]!;
    if (b1 < 0x80) {
      c.pos = pos + 2;
      return (b0 & 0x7f) | (b1 << 7);
    }
  } else if (pos < c.end && buf[pos]! < 0x80) {
    c.pos = pos + 1;
    return buf[pos]!;
  }
  const r = c.slow();
  const value = r.uint32();
  c.pos = r.pos;
  return value;
}

/** A string or bytes length as protobufjs' `size()` reads it; equal to uint32 up to 2^28. */
function size(c: Cursor): number {
  const buf = c.buf;
  const pos = c.pos;
  if (pos + 1 < c.end) {
    const b0 = buf[pos]!;
    if (b0 < 0x80) {
      c.pos = pos + 1;
      return b0;
    }
    const b1 = buf[pos + 1]!;
    if (b1 < 0x80) {
      c.pos = pos + 2;
      return (b0 & 0x7f) | (b1 << 7);
    }
  }
  const r = c.slow();
  const value = r.size();
  c.pos = r.pos;
  return value;
}

/** A length-delimited field's bounds; past the limit it fails as protobufjs' `bytes()` does. */
function delimited(c: Cursor, read: (r: Reader) => unknown): number {
  const at = c.pos;
  const length = size(c);
  const start = c.pos;
  if (start + length > c.end) refuse(c.slow(at), read);
  c.pos = start + length;
  return start;
}

const readBytes = (r: Reader) => r.bytes();
const readStringVerify = (r: Reader) => r.stringVerify();
// Two halves, as the Reader-based decoder read times: a truncation reports the half that failed.
const readFixed64 = (r: Reader) => [r.fixed32(), r.fixed32()];
const readDouble = (r: Reader) => r.double();
const readFixed32 = (r: Reader) => r.fixed32();

/** An unsigned 64-bit value from its halves, as the bigint the data model keeps times in. */
function uint64Of(low: number, high: number): bigint {
  // Below 2^53 one conversion suffices; above, the halves are joined as bigints. An unset time
  // (observedTime often is) shares the one literal instead of a new bigint per record.
  if ((low | high) === 0) return 0n;
  return high < 0x200000 ? BigInt(high * 4294967296 + low) : (BigInt(high) << 32n) | BigInt(low);
}

function le32(buf: Buffer, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;
}

export function fixed64(c: Cursor): bigint {
  const pos = c.pos;
  if (pos + 8 > c.end) refuse(c.slow(), readFixed64);
  c.pos = pos + 8;
  return uint64Of(le32(c.buf, pos), le32(c.buf, pos + 4));
}

export function fixed32(c: Cursor): number {
  const pos = c.pos;
  if (pos + 4 > c.end) refuse(c.slow(), readFixed32);
  c.pos = pos + 4;
  return le32(c.buf, pos);
}

export function double(c: Cursor): number {
  const pos = c.pos;
  if (pos + 8 > c.end) refuse(c.slow(), readDouble);
  c.pos = pos + 8;
  return c.buf.readDoubleLE(pos);
}

export function bool(c: Cursor): boolean {
  const pos = c.pos;
  if (pos < c.end && c.buf[pos]! < 0x80) {
    c.pos = pos + 1;
    return c.buf[pos] !== 0;
  }
  const r = c.slow();
  const value = r.bool();
  c.pos = r.pos;
  return value;
}

/** An int64 varint as protobufjs' Reader reads it; the caller turns the Long into a value. */
export function int64(c: Cursor): protobuf.Long | number {
  const buf = c.buf;
  const pos = c.pos;
  // Up to three bytes (below 2^21) is a non-negative number; anything longer goes slowly.
  if (pos + 2 < c.end) {
    const b0 = buf[pos]!;
    if (b0 < 0x80) {
      c.pos = pos + 1;
      return b0;
    }
    const b1 = buf[pos + 1]!;
    if (b1 < 0x80) {
      c.pos = pos + 2;
      return (b0 & 0x7f) | (b1 << 7);
    }
    const b2 = buf[pos + 2]!;
    if (b2 < 0x80) {
      c.pos = pos + 3;
      return (b0 & 0x7f) | ((b1 & 0x7f) << 7) | (b2 << 14);
    }
  }
  const r = c.slow();
  const value = r.int64();
  c.pos = r.pos;
  return value;
}

/** A bytes field as a copy: a view would keep the whole request alive. */
export function bytesCopy(c: Cursor): Uint8Array {
  const start = delimited(c, readBytes);
  return new Uint8Array(c.buf.subarray(start, c.pos));
}

/** A bytes field left in place: returns its start; the cursor stands at its end. */
export function bytesInPlace(c: Cursor): number {
  return delimited(c, readBytes);
}

export function hex(c: Cursor, start: number, end: number): string {
  return c.buf.hexSlice(start, end);
}

/**
 * Recently read short ASCII strings. OTLP repeats the same keys and many of the same values
 * (severities, service names, categories) in every record: returning the string already made
 * spares an allocation and a native call, and for keys the string is the internalised one a
 * property store needs, so the store does not hash it again. The slot comes from the length
 * and the first and last three bytes; two slots per hash so that two hot strings sharing one do
 * not evict each other on every record. A hit is confirmed byte by byte, so a collision costs
 * time, never a wrong string; a cached string is ASCII, so a hit needs no separate check.
 */
export class StringTable {
  private readonly slots: string[];
  private readonly shift: number;

  constructor(
    bits: number,
    readonly maxLength: number,
    private readonly internalise: boolean,
  ) {
    this.slots = new Array<string>(2 << bits).fill("");
    this.shift = 32 - bits;
  }

  /** The string for bytes [start, end) (at least 3 of them); undefined unless all ASCII. */
  lookup(buf: SlicingBuffer, start: number, end: number): string | undefined {
    const length = end - start;
    const head = buf[start]! | (buf[start + 1]! << 8) | (buf[start + 2]! << 16);
    const tail = buf[end - 3]! | (buf[end - 2]! << 8) | (buf[end - 1]! << 16);
    const hash = Math.imul(head ^ Math.imul(tail ^ (length << 24), 0x9e3779b1), 0x85ebca6b);
    const slot = (hash >>> this.shift) << 1;
    const slots = this.slots;
    const first = slots[slot]!;
    if (first.length === length && sameText(first, buf, start, length)) return first;
    const second = slots[slot + 1]!;
    if (second.length === length && sameText(second, buf, start, length)) return second;
    if (!isAscii(buf, start, end)) return undefined;
    let made = buf.latin1Slice(start, end);
    if (this.internalise) made = internalised(made);
    // The newer string takes the first slot; the one it displaces gets a second chance.
    slots[slot + 1] = first;
    slots[slot] = made;
    return made;
  }
}

function sameText(text: string, buf: Buffer, start: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (text.charCodeAt(i) !== buf[start + i]) return false;
  return true;
}

/** The engine's single copy of a string, as it is after being used as a property key. */
function internalised(text: string): string {
  for (const key in { [text]: 0 }) return key;
  return text;
}

function isAscii(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i]! > 0x7f) return false;
  return true;
}

/**
 * A string field, rejecting invalid UTF-8 as protobufjs' `stringVerify()` does. Non-ASCII text
 * goes through protobufjs' own strict decoder, so it is accepted or refused exactly as before.
 */
export function string(c: Cursor, table: StringTable): string {
  const start = delimited(c, readStringVerify);
  const end = c.pos;
  if (start === end) return "";
  const length = end - start;
  if (length >= 3 && length <= table.maxLength) {
    const known = table.lookup(c.buf, start, end);
    if (known !== undefined) return known;
  } else if (length < 3) {
    const b0 = c.buf[start]!;
    const b1 = length === 2 ? c.buf[start + 1]! : 0;
    // One- and two-character strings: the engine keeps the one-character ones ready-made.
    if ((b0 | b1) < 0x80) {
      return length === 1 ? String.fromCharCode(b0) : String.fromCharCode(b0, b1);
    }
  } else if (isAscii(c.buf, start, end)) {
    return c.buf.latin1Slice(start, end);
  }
  return protobuf.util.utf8.readStrict(c.buf, start, end);
}

/** Skips a field of any wire type as protobufjs does, failing alike on malformed input. */
export function skip(c: Cursor, wire: number, depth: number, field: number): void {
  const pos = c.pos;
  // A one-byte varint and an in-bounds fixed width skip inline; everything else (and every
  // refusal: field 0, wire types 3, 4, 6 and 7, depth) is protobufjs' skipType.
  if (field !== 0 && depth <= Reader.recursionLimit) {
    if (wire === 0 && pos < c.end && c.buf[pos]! < 0x80) {
      c.pos = pos + 1;
      return;
    }
    if (wire === 1 && pos + 8 <= c.end) {
      c.pos = pos + 8;
      return;
    }
    if (wire === 5 && pos + 4 <= c.end) {
      c.pos = pos + 4;
      return;
    }
  }
  const r = c.slow();
  r.skipType(wire, depth, field);
  c.pos = r.pos;
}

/**
 * Enters a length-delimited message: the cursor's limit becomes its end; returns the outer
 * limit for `leave`. Fails as the Reader-based decoder did (same checks, same messages).
 */
export function enter(c: Cursor, depth: number): number {
  if (depth > Reader.recursionLimit) throw Error("max depth exceeded");
  const length = uint32(c);
  const end = c.pos + length;
  if (end > c.end) throw RangeError("index out of range");
  const outer = c.end;
  c.end = end;
  return outer;
}

export function leave(c: Cursor, outer: number): void {
  if (c.pos !== c.end) throw RangeError("index out of range");
  c.end = outer;
}
