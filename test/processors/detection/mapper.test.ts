import { describe, expect, it } from "vitest";
import { DetectionMapper } from "../../../src/processors/detection/mapper.js";
import { MappingError } from "../../../src/processors/detection/mapping.js";
import { fixture, received } from "./support.js";

describe("DetectionMapper (inline use by a receiver)", () => {
  it("maps in place, throws on an unreadable payload without touching the record", () => {
    let defaulted = 0;
    const mapper = DetectionMapper.fromOptions({ preset: "falco" }, () => defaulted++);
    const good = received(fixture("falco/terminal-shell.json"));
    expect(mapper.map(good)).toBe("mapped");
    expect(good.severityNumber).toBe(13);

    const bad = received({ priority: "Notice" });
    const before = structuredClone(bad);
    expect(() => mapper.map(bad)).toThrow(MappingError);
    expect(bad).toEqual(before);

    expect(mapper.map(received({ rule: "r", priority: "loud" }))).toBe("mapped");
    expect(defaulted).toBe(1);
    expect(mapper.map(good)).toBe("unchanged");
  });

  it("reports a filtered trace as dropped", () => {
    const mapper = DetectionMapper.fromOptions({
      preset: "execlave",
      include_non_detections: false,
    });
    expect(mapper.map(received({ trace_id: "t", status: "success" }))).toBe("dropped");
    expect(mapper.map(received({ trace_id: "t", status: "policy_blocked" }))).toBe("mapped");
  });
});
