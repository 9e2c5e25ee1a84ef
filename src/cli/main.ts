#!/usr/bin/env node
import cluster from "node:cluster";
import { Command } from "commander";
import { checkCommand } from "./check-command.js";
import { componentsCommand } from "./components.js";
import { configFiles } from "./config-files.js";
import { runCommand } from "./run.js";
import { testCommand } from "./test-command.js";
import { validateCommand } from "./validate.js";
import { VERSION } from "./version.js";
import { runWorkers, workerCount } from "./workers.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

const program = new Command()
  .name("tripline")
  .description(
    "Security detections in, OpenTelemetry logs and metrics out: to Datadog, Grafana and OTLP.",
  )
  .version(VERSION);

program
  .command("run")
  .description("start the gateway")
  .option("-c, --config <file>", "config file; repeat to merge several (later files win)", collect)
  .option(
    "--workers <n>",
    "processes sharing the listen sockets: a number or auto (default: TRIPLINE_WORKERS or 1)",
  )
  .addHelpText("after", "\nWithout -c, files come from TRIPLINE_CONFIG (comma-separated).")
  .action(async (opts: { config?: string[]; workers?: string }) => {
    const files = configFiles(opts.config);
    // A cluster worker re-runs this same command line: it is one gateway, not a primary.
    const requested = opts.workers ?? process.env.TRIPLINE_WORKERS;
    const workers = cluster.isWorker ? 1 : workerCount(requested);
    if (workers === undefined) {
      console.error(`--workers: expected a whole number ≥ 1 or auto (got "${requested}")`);
      process.exitCode = 1;
    } else {
      process.exitCode = workers > 1 ? await runWorkers(files, workers) : await runCommand(files);
    }
    // Open handles (keep-alive sockets of peers) must not keep a stopped gateway alive.
    setImmediate(() => process.exit());
  });

program
  .command("validate")
  .description("check config files and the pipeline graph; print every error; exit 0 or 1")
  .option("-c, --config <file>", "config file; repeat to merge several", collect)
  .action((opts: { config?: string[] }) => {
    process.exitCode = validateCommand(configFiles(opts.config));
  });

program
  .command("test")
  .description("run the pipeline unit tests declared next to a config; exit 0 or 1")
  .option("-c, --config <file>", "config file; repeat to merge several", collect)
  .option(
    "-t, --tests <file>",
    "test file; repeat for several (default: CONFIG.test.yaml)",
    collect,
  )
  .option("--junit <file>", "also write results as JUnit XML")
  .addHelpText(
    "after",
    "\nExporters are replaced by in-memory sinks and receivers by taps: no network is used.",
  )
  .action(async (opts: { config?: string[]; tests?: string[]; junit?: string }) => {
    process.exitCode = await testCommand(configFiles(opts.config), opts);
  });

program
  .command("check")
  .description("check each exporter can reach its backend with its credentials; exit 0 or 1")
  .option("-c, --config <file>", "config file; repeat to merge several", collect)
  .action(async (opts: { config?: string[] }) => {
    process.exitCode = await checkCommand(configFiles(opts.config));
  });

program
  .command("components")
  .description("list every component type with its options and defaults")
  .option("--json", "print as JSON")
  .action((opts: { json?: boolean }) => {
    process.exitCode = componentsCommand(opts);
  });

await program.parseAsync();
