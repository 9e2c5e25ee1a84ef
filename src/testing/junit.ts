import type { TestResult } from "./runner.js";

const xml = (text: string) =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!,
  );

/** JUnit XML as CI systems (GitHub, GitLab, Jenkins) read it: one suite per test file. */
export function toJUnit(results: TestResult[]): string {
  const byFile = new Map<string, TestResult[]>();
  for (const r of results) byFile.set(r.file, [...(byFile.get(r.file) ?? []), r]);
  const suites = [...byFile].map(([file, cases]) => {
    const failures = cases.filter((c) => c.failures.length > 0).length;
    const time = cases.reduce((t, c) => t + c.durationMs, 0) / 1000;
    const body = cases
      .map((c) => {
        const open = `    <testcase classname="${xml(file)}" name="${xml(c.name)}" time="${(c.durationMs / 1000).toFixed(3)}"`;
        if (c.failures.length === 0) return `${open}/>`;
        const text = xml(c.failures.join("\n"));
        return `${open}>\n      <failure message="${xml(c.failures[0]!)}">${text}</failure>\n    </testcase>`;
      })
      .join("\n");
    return `  <testsuite name="${xml(file)}" tests="${cases.length}" failures="${failures}" time="${time.toFixed(3)}">\n${body}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${suites.join("\n")}\n</testsuites>\n`;
}
