// The interner keys on the base resource object plus the extra values, in their order.
import { describe, expect, it } from "vitest";
import type { Resource } from "../../../src/pdata/resource.js";
import { ResourceInterner } from "../../../src/processors/detection/intern.js";

describe("ResourceInterner", () => {
  it("shares one object per base and extra values, and keeps values of other types apart", () => {
    const interner = new ResourceInterner();
    const base: Resource = { attributes: { "service.name": "gw" }, schemaUrl: "s" };
    const a = interner.intern(base, { "k8s.pod.name": "p1", n: 1 });
    expect(interner.intern(base, { "k8s.pod.name": "p1", n: 1 })).toBe(a);
    expect(a).toEqual({
      attributes: { "service.name": "gw", "k8s.pod.name": "p1", n: 1 },
      schemaUrl: "s",
    });
    expect(interner.intern(base, { "k8s.pod.name": "p2", n: 1 })).not.toBe(a);
    expect(interner.intern(base, { "k8s.pod.name": "p1", n: "1" })).not.toBe(a);
    expect(interner.intern(base, { "k8s.pod.name": "p1", n: 1n })).not.toBe(a);
    // A value that contains what looks like the next key must not collide.
    const x = interner.intern(base, { a: "1", b: "2" });
    expect(interner.intern(base, { a: "1\u00001\u0000bs2" })).not.toBe(x);
    // An equal base from another request (another object) shares; a different one does not.
    const same: Resource = { schemaUrl: "s", attributes: { "service.name": "gw" } };
    expect(interner.intern(same, { "k8s.pod.name": "p1", n: 1 })).toBe(a);
    const other: Resource = { attributes: { "service.name": "gw" }, schemaUrl: "t" };
    expect(interner.intern(other, { "k8s.pod.name": "p1", n: 1 })).not.toBe(a);
    expect(interner.intern(base, {})).toBe(base);
    expect(interner.size).toBe(7);
  });

  it("shares resources whose extra values are lists or maps, by content", () => {
    const interner = new ResourceInterner();
    const base: Resource = { attributes: {} };
    const a = interner.intern(base, { pod: "p1", tags: ["x", "y"] });
    expect(interner.intern(base, { pod: "p1", tags: ["x", "y"] })).toBe(a);
    expect(interner.intern(base, { pod: "p1", tags: ["x"] })).not.toBe(a);
    expect(interner.intern(base, { pod: "p1", tags: "x,y" })).not.toBe(a);
    expect(interner.intern(base, { pod: "p1" })).not.toBe(a);
    expect(interner.intern(base, { pod: "p1", tags: null })).not.toBe(a);
    expect(a.attributes).toEqual({ pod: "p1", tags: ["x", "y"] });
    expect(interner.size).toBe(5);
  });

  it("starts over when full, so the table stays bounded", () => {
    const interner = new ResourceInterner(3);
    const base: Resource = { attributes: {} };
    for (let i = 0; i < 10; i++) interner.intern(base, { pod: `p${i}` });
    expect(interner.size).toBeLessThanOrEqual(3);
    const again = interner.intern(base, { pod: "p9" });
    expect(interner.intern(base, { pod: "p9" })).toBe(again);
  });
});
