/**
 * Blocks of memory for request bodies that wait in a memory queue, handed back once the
 * exporter is done with them. A body held that long outlives two young-generation collections,
 * so its Buffer object moves to old space; once sent it is garbage there, and its bytes (outside
 * the V8 heap) stay allocated until the next full collection, which V8 lets wait until
 * hundreds of megabytes of such bodies have piled up. Reusing the blocks keeps the memory at
 * what the queue holds. Node has no allocator to ask for this (Buffer's own pool is for
 * allocations under 4 KiB and is never handed back), hence these few lines.
 */
export class BodyPool {
  private readonly free = new Map<number, Buffer[]>();
  private freeBytes = 0;

  /** @param maxFreeBytes what the pool keeps for reuse at most; blocks beyond go to the GC. */
  constructor(private readonly maxFreeBytes: number) {}

  /** A copy of `bytes` in a pooled block. */
  copy(bytes: Uint8Array): PooledBody {
    const size = sizeClass(bytes.length);
    let block = this.free.get(size)?.pop();
    if (block) this.freeBytes -= size;
    else block = Buffer.allocUnsafeSlow(size);
    block.set(bytes);
    return { body: block.subarray(0, bytes.length), block };
  }

  /** Takes a block back; the caller must not touch the body afterwards. */
  give(pooled: PooledBody): void {
    const { block } = pooled;
    if (this.freeBytes + block.length > this.maxFreeBytes) return;
    const list = this.free.get(block.length);
    if (list) list.push(block);
    else this.free.set(block.length, [block]);
    this.freeBytes += block.length;
  }
}

export interface PooledBody {
  /** The bytes. */
  body: Buffer;
  /** The block they live in. */
  block: Buffer;
}

/**
 * Rounds up to a quarter of the power of two below, so a block wastes under 25% and bodies of
 * about the same size share a class. At least 16 KiB: smaller bodies are not worth pooling, but
 * sharing the classes keeps the code simple.
 */
export function sizeClass(n: number): number {
  if (n <= 16_384) return 16_384;
  const step = 2 ** Math.floor(Math.log2(n)) / 4;
  return Math.ceil(n / step) * step;
}
