import { describe, expect, it } from "vitest";
import { BodyPool, sizeClass } from "../../src/exporterhelper/body-pool.js";

describe("BodyPool", () => {
  it("size classes hold the body and waste under a quarter of the block", () => {
    for (const n of [0, 1, 16_384, 16_385, 50_000, 65_536, 65_537, 100_000, 3_000_000]) {
      const size = sizeClass(n);
      expect(size).toBeGreaterThanOrEqual(n);
      if (n > 16_384) expect(size - n).toBeLessThan(size / 4);
    }
    expect(sizeClass(16_384)).toBe(16_384);
    expect(sizeClass(81_000)).toBe(81_920);
  });

  it("copies the bytes, and reuses a block handed back for a body of the same class", () => {
    const pool = new BodyPool(1 << 20);
    const first = pool.copy(Buffer.alloc(70_000, 1));
    expect(first.body.length).toBe(70_000);
    expect(first.body.every((b) => b === 1)).toBe(true);
    pool.give(first);
    const second = pool.copy(Buffer.alloc(71_000, 2));
    expect(second.block).toBe(first.block);
    expect(second.body.length).toBe(71_000);
    expect(second.body.every((b) => b === 2)).toBe(true);
    const third = pool.copy(Buffer.alloc(70_000, 3));
    expect(third.block).not.toBe(first.block);
  });

  it("keeps no more than maxFreeBytes for reuse", () => {
    const pool = new BodyPool(100_000);
    const a = pool.copy(Buffer.alloc(60_000));
    const b = pool.copy(Buffer.alloc(60_000));
    pool.give(a);
    pool.give(b);
    expect(pool.copy(Buffer.alloc(60_000)).block).toBe(a.block);
    expect(pool.copy(Buffer.alloc(60_000)).block).not.toBe(b.block);
  });
});
