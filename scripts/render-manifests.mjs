#!/usr/bin/env node
/**
 * Renders deploy/helm/tripline into the plain manifests under deploy/kubernetes/ for users
 * without Helm. `--check` compares instead of writing and exits 1 when they differ (CI).
 *
 * Usage: node scripts/render-manifests.mjs [--check]
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const CHART = join(ROOT, "deploy/helm/tripline");

/** The plain manifests: file name → `--set` values on top of the chart defaults. */
export const MANIFESTS = {
  "tripline.yaml": [],
  "tripline-persistent.yaml": ["persistence.enabled=true"],
};

/** The Helm binary: $HELM, else the pinned one scripts/install-helm.sh provides. */
export function helmPath() {
  if (process.env.HELM) return process.env.HELM;
  return execFileSync("bash", [join(ROOT, "scripts/install-helm.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
}

export function helm(args, helmBinary = helmPath()) {
  return execFileSync(helmBinary, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** `helm template` with a fixed release name, so the output is stable. */
export function renderChart(sets = [], helmBinary = helmPath()) {
  return helm(["template", "tripline", CHART, ...sets.flatMap((s) => ["--set", s])], helmBinary);
}

export function manifestText(file, helmBinary = helmPath()) {
  const sets = MANIFESTS[file];
  const how = sets.length ? ` --set ${sets.join(" --set ")}` : "";
  return (
    `# Rendered from deploy/helm/tripline (helm template tripline${how}) by\n` +
    "# scripts/render-manifests.mjs. Do not edit: change the chart and render again.\n" +
    `# Apply with: kubectl apply -n <namespace> -f ${file}\n` +
    renderChart(sets, helmBinary)
  );
}

function main() {
  const check = process.argv.includes("--check");
  const binary = helmPath();
  let stale = 0;
  for (const file of Object.keys(MANIFESTS)) {
    const path = join(ROOT, "deploy/kubernetes", file);
    const text = manifestText(file, binary);
    if (!check) {
      writeFileSync(path, text);
      console.log(`wrote ${path}`);
      continue;
    }
    let current = "";
    try {
      current = readFileSync(path, "utf8");
    } catch {}
    if (current !== text) {
      stale++;
      console.error(`${path} is out of date: run node scripts/render-manifests.mjs`);
    }
  }
  if (stale) process.exit(1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
