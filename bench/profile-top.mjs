#!/usr/bin/env node
// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function, heaviest first.
// usage: node bench/profile-top.mjs FILE.cpuprofile [N]
import { readFileSync } from "node:fs";

const [file, n = "25"] = process.argv.slice(2);
if (!file) {
  console.error("usage: node bench/profile-top.mjs FILE.cpuprofile [N]");
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
// Samples are taken at a fixed interval, so sample counts are proportional to self time.
for (const id of profile.samples) {
  const { callFrame } = byId.get(id);
  const where = callFrame.url
    ? `${callFrame.url.replace(/^.*\/(dist|node_modules)\//, "$1/")}:${callFrame.lineNumber + 1}`
    : "";
  const key = `${callFrame.functionName || "(anonymous)"} ${where}`.trim();
  self.set(key, (self.get(key) ?? 0) + 1);
}
const total = profile.samples.length;
const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(n));
for (const [key, count] of rows)
  console.log(`${((count / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
