import { describe, expect, it } from "vitest";
import { ndjson, SAMPLES, setup } from "./support.js";

describe("sample files", () => {
  for (const [preset, file] of [
    ["operant", "operant/detections.ndjson"],
    ["execlave", "execlave/traces.ndjson"],
  ] as const) {
    it(`maps every line of ${file} without a mapping error or a defaulted severity`, async () => {
      const lines = ndjson(`${SAMPLES}/${file}`);
      const { run, counter } = setup({ preset });
      const out = await run(lines);
      expect(out).toHaveLength(lines.length);
      for (const [i, record] of out.entries()) {
        expect(record.attributes, `line ${i + 1}`).not.toHaveProperty("detection.mapping_error");
        expect(record.attributes, `line ${i + 1}`).not.toHaveProperty(
          "detection.severity_defaulted",
        );
        expect(typeof record.body, `line ${i + 1}`).toBe("string");
        expect(record.attributes["detection.id"], `line ${i + 1}`).toBeTruthy();
        expect(record.severityNumber, `line ${i + 1}`).toBeGreaterThan(0);
        expect(record.resource.attributes["deployment.environment.name"]).toMatch(
          /^(production|staging)$/,
        );
      }
      expect(await counter("tripline_detection_mapping_errors")).toBe(0);
      expect(await counter("tripline_detection_unknown_severity")).toBe(0);
    });
  }
});
