import { describe, expect, it } from "vitest";
import {
  AGENT_TRACE_EVENT_NAME,
  ATTR,
  DETECTION_EVENT_NAME,
  DETECTION_SEVERITIES,
  datadogStatusOf,
  isDetectionSeverity,
  severityFromNumber,
  severityNumberOf,
} from "../../src/pdata/detection.js";

describe("detection model", () => {
  it("maps the five levels to OTel severity numbers and Datadog statuses", () => {
    expect(DETECTION_SEVERITIES.map((s) => [s, severityNumberOf(s), datadogStatusOf(s)])).toEqual([
      ["info", 9, "info"],
      ["low", 13, "warn"],
      ["medium", 14, "warn"],
      ["high", 17, "error"],
      ["critical", 21, "critical"],
    ]);
  });

  it("inverts severity numbers by range", () => {
    const table: [number, string | undefined][] = [
      [0, undefined],
      [1, "info"],
      [5, "info"],
      [9, "info"],
      [12, "info"],
      [13, "low"],
      [14, "medium"],
      [16, "medium"],
      [17, "high"],
      [20, "high"],
      [21, "critical"],
      [24, "critical"],
      [25, undefined],
      [13.5, undefined],
    ];
    for (const [n, level] of table) expect(severityFromNumber(n), String(n)).toBe(level);
    for (const s of DETECTION_SEVERITIES) expect(severityFromNumber(severityNumberOf(s))).toBe(s);
  });

  it("knows its levels, event names and attribute names", () => {
    expect(isDetectionSeverity("high")).toBe(true);
    expect(isDetectionSeverity("High")).toBe(false);
    expect(isDetectionSeverity(17)).toBe(false);
    expect(DETECTION_EVENT_NAME).toBe("security.detection");
    expect(AGENT_TRACE_EVENT_NAME).toBe("gen_ai.agent.trace");
    expect(ATTR.severity).toBe("detection.severity");
    expect(ATTR.ruleName).toBe("security_rule.name");
  });
});
