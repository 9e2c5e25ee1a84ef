import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const CLI = resolve(import.meta.dirname, "../../dist/cli/main.js");

const config = `
receivers: { detections: {} }
processors: { batch: { timeout: 10s } }
exporters: { debug: {}, file: { path: out.jsonl } }
service:
  pipelines:
    logs: { receivers: [detections], processors: [batch], exporters: [debug] }
    logs/audit: { receivers: [detections], exporters: [file] }
`;

function run(tests: string, extra: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), "tripline-unit-"));
  writeFileSync(join(dir, "config.yaml"), config);
  writeFileSync(join(dir, "config.test.yaml"), tests);
  writeFileSync(join(dir, "in.ndjson"), '{"id": 1}\n{"id": 2}\n\n{"id": 3}\n');
  const r = spawnSync(process.execPath, [CLI, "test", "-c", join(dir, "config.yaml"), ...extra], {
    encoding: "utf8",
    cwd: dir,
  });
  return { code: r.status, out: r.stdout, err: r.stderr, dir };
}

describe("tripline test", () => {
  it("passes when outputs match, flushing batches without waiting for their timeout", () => {
    const r = run(`
tests:
  - name: inline payloads reach both pipelines
    input: { receiver: detections, records: [{ id: a, severity: high }] }
    expect:
      debug: { count: 1, records: [{ body: { id: a, severity: high }, attributes: {} }] }
      file: { contains: [{ body: { id: a, severity: high } }] }
  - name: a file of payloads injected at one pipeline only
    input: { pipeline: logs/audit, file: in.ndjson }
    expect:
      file: { count: 3 }
      debug: { none: true }
`);
    expect(r.err).toBe("");
    expect(r.out).toBe(
      "✓ inline payloads reach both pipelines\n✓ a file of payloads injected at one pipeline only\n\n2 passed, 0 failed\n",
    );
    expect(r.code).toBe(0);
  });

  it("fails with a field-by-field diff and writes JUnit XML", () => {
    const r = run(
      `
tests:
  - name: wrong expectations
    input: { receiver: detections, records: [{ id: a, severity: high }] }
    expect:
      debug:
        records: [{ body: { id: a, severity: low }, attributes: { team: red } }]
      file: { none: true }
  - name: missing record
    input: { receiver: detections, records: [{ id: b }] }
    expect:
      file: { contains: [{ body: { id: c } }] }
`,
      ["--junit", "report.xml"],
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      [
        "✗ wrong expectations",
        '    debug record 0: body: expected {"id":"a","severity":"low"}, got {"id":"a","severity":"high"}',
        '    debug record 0: attributes["team"]: expected "red", missing',
        "    file: expected no output, got 1 item(s)",
      ].join("\n"),
    );
    expect(r.out).toContain(
      '✗ missing record\n    file: no record matches contains[0]; closest record differs in:\n      body: expected {"id":"c"}, got {"id":"b"}',
    );
    expect(r.out).toMatch(/\n0 passed, 2 failed\n$/);
    const xml = readFileSync(join(r.dir, "report.xml"), "utf8");
    expect(xml).toContain('<testsuite name="');
    expect(xml).toContain('tests="2" failures="2"');
    expect(xml).toContain('<failure message="debug record 0: body: expected {&quot;id&quot;');
  });

  it("reports a malformed test file with file:line:col", () => {
    const r = run(`
tests:
  - name: no input source
    input: { receiver: detections }
    expect: { debug: { count: 1 } }
`);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      "config.test.yaml:4:12 tests[0].input: give exactly one of records, file or otlp",
    );
  });

  it("names unknown exporters and receivers instead of passing vacuously", () => {
    const r = run(`
tests:
  - name: typo
    input: { receiver: detection, records: [{}] }
    expect: { debg: { count: 1 } }
`);
    expect(r.code).toBe(1);
    expect(r.out).toContain('expect names exporter "debg", which the config does not define');
    expect(r.out).toContain('input names receiver "detection", which the config does not define');
  });
});
