import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type {
  AnyFactory,
  ExporterFactory,
  ProcessorFactory,
  ReceiverFactory,
  SignalConsumers,
} from "../../src/component/component.js";
import { Registry } from "../../src/component/registry.js";
import { loadConfig } from "../../src/config/load.js";
import type { LogBatch } from "../../src/pdata/logs.js";
import { planGraph } from "../../src/service/graph.js";
import { Reloader } from "../../src/service/reload.js";
import { Service } from "../../src/service/service.js";
import { noopHost, RecordingTelemetry } from "../helpers/context.js";
import { logRecords } from "../helpers/records.js";

/** Fakes that record their lifecycle; `hold` makes a processor wait until released. */
function fakes() {
  const events: string[] = [];
  const inputs = new Map<string, SignalConsumers>();
  /** Exporter instance label (`id#n`) → batches it accepted. */
  const outputs = new Map<string, LogBatch[]>();
  let instances = 0;
  let release: (() => void) | undefined;
  let entered!: () => void;
  const gate = { hold: false, entered: new Promise<void>((r) => (entered = r)) };
  const options = z.strictObject({ label: z.string().default("") });
  const lifecycle = (name: string) => ({
    start: async () => void events.push(`start ${name}`),
    shutdown: async () => void events.push(`stop ${name}`),
  });
  const receiver: ReceiverFactory<typeof options> = {
    type: "fake_in",
    kind: "receiver",
    description: "",
    signals: ["logs"],
    configSchema: options,
    create: (ctx, _config, next) => {
      inputs.set(ctx.id, next);
      return lifecycle(ctx.id);
    },
  };
  const processor: ProcessorFactory<typeof options> = {
    type: "slow",
    kind: "processor",
    description: "",
    signals: ["logs"],
    configSchema: options,
    create: (ctx, config, next) => ({
      ...lifecycle(`${ctx.id}${config.label}`),
      mutatesData: false,
      consume: async (batch) => {
        if (gate.hold) {
          entered();
          await new Promise<void>((r) => (release = r));
        }
        await next.consume(batch);
      },
    }),
  };
  const exporter: ExporterFactory<typeof options> = {
    type: "fake_out",
    kind: "exporter",
    description: "",
    signals: ["logs"],
    configSchema: options,
    create: (ctx) => {
      const name = `${ctx.id}#${++instances}`;
      const out: LogBatch[] = [];
      outputs.set(name, out);
      let running = false;
      return {
        start: async () => {
          running = true;
          events.push(`start ${name}`);
        },
        shutdown: async (deadline?: AbortSignal) => {
          running = false;
          events.push(`stop ${name}${deadline ? " (deadline)" : ""}`);
        },
        consumers: {
          logs: {
            consume: async (batch: LogBatch) => {
              if (!running) throw new Error(`${name} is not running`);
              out.push(batch);
            },
          },
        },
      };
    },
  };
  const registry = new Registry([receiver, processor, exporter] as AnyFactory[]);
  return { events, inputs, outputs, registry, gate, release: () => release?.() };
}

const yaml = (exporterLabel: string, extra = "") => `
receivers: { fake_in: {}, fake_in/2: {} }
processors: { slow: {} }
exporters: { fake_out: { label: "${exporterLabel}" }, fake_out/other: {} }
service:
  pipelines:
    logs: { receivers: [fake_in], processors: [slow], exporters: [fake_out] }
    logs/other: { receivers: [fake_in/2], exporters: [fake_out/other] }
${extra}`;

function setup(initial: string) {
  const f = fakes();
  const dir = mkdtempSync(join(tmpdir(), "tripline-reload-"));
  const file = join(dir, "c.yaml");
  writeFileSync(file, initial);
  const load = () => {
    const loaded = loadConfig([file], f.registry, {});
    if (!loaded.config) return { diagnostics: loaded.diagnostics };
    const { plan, diagnostics } = planGraph(loaded.config);
    return {
      checked: plan ? { config: loaded.config, plan, configDir: dir } : undefined,
      diagnostics: [...loaded.diagnostics, ...diagnostics],
    };
  };
  const first = load().checked!;
  const logger = pino({ level: "silent" });
  const telemetry = new RecordingTelemetry();
  const service = new Service({ ...first, logger, telemetry });
  const fatal: Error[] = [];
  const reloader = new Reloader({
    initial: { ...first, service },
    load,
    logger,
    telemetry,
    host: { reportFatal: (_id, e) => fatal.push(e) },
    deadline: () => ({ signal: new AbortController().signal, dispose: () => {} }),
  });
  return { ...f, service, reloader, fatal, write: (text: string) => writeFileSync(file, text) };
}

describe("Reloader", () => {
  it("keeps unchanged components running, restarts the changed ones, and reports which", async () => {
    const s = setup(yaml("a"));
    await s.service.start(noopHost);
    s.write(yaml("b"));
    expect(await s.reloader.reload("test")).toBe("reloaded");

    const starts = s.events.filter((e) => e.startsWith("start"));
    // Neither receiver nor the untouched pipeline's exporter was started twice.
    expect(starts.filter((e) => e === "start fake_in")).toHaveLength(1);
    expect(starts.filter((e) => e === "start fake_out/other#2")).toHaveLength(1);
    expect(s.events).toContain("stop fake_out#1 (deadline)");
    expect(s.events).toContain("start fake_out#3");
    expect(s.events).not.toContain("stop fake_in");

    // The kept receiver now feeds the new exporter instance.
    await s.inputs.get("fake_in")!.logs!.consume(logRecords(2));
    expect(s.outputs.get("fake_out#3")).toHaveLength(1);
    expect(s.outputs.get("fake_out#1")).toHaveLength(0);
  });

  it("summarises added, removed, restarted and kept components", async () => {
    const s = setup(yaml("a"));
    await s.service.start(noopHost);
    const { planCarryOver } = await import("../../src/service/reload.js");
    s.write(
      yaml("b")
        .replace("fake_in/2: {}", "fake_in/2: {}, fake_in/3: {}")
        .replace("[fake_in/2]", "[fake_in/3]"),
    );
    const { checked } = (() => {
      const loaded = loadConfig([join(s.reloader.current.configDir, "c.yaml")], s.registry, {});
      const { plan } = planGraph(loaded.config!);
      return {
        checked: { config: loaded.config!, plan: plan!, configDir: s.reloader.current.configDir },
      };
    })();
    const { summary } = planCarryOver(s.reloader.current, checked);
    expect(summary).toEqual({
      added: ["receiver fake_in/3"],
      removed: ["receiver fake_in/2"],
      restarted: ["exporter fake_out", "processor slow (pipeline logs)"],
      kept: ["receiver fake_in", "exporter fake_out/other"],
    });
  });

  it("a batch in flight finishes against the old graph before it stops; calls during the reload wait for the new one", async () => {
    const s = setup(yaml("a"));
    await s.service.start(noopHost);
    s.gate.hold = true;
    const inFlight = s.inputs.get("fake_in")!.logs!.consume(logRecords(1));
    await s.gate.entered;
    s.gate.hold = false;

    s.write(yaml("b"));
    const reload = s.reloader.reload("test");
    await new Promise((r) => setTimeout(r, 20));
    // The old exporter is still up while a call is under way against its graph.
    expect(s.events).not.toContain("stop fake_out#1 (deadline)");
    const during = s.inputs.get("fake_in")!.logs!.consume(logRecords(1));
    s.release();
    await inFlight;
    expect(await reload).toBe("reloaded");
    await during;

    expect(s.outputs.get("fake_out#1")).toHaveLength(1);
    expect(s.outputs.get("fake_out#3")).toHaveLength(1);
  });

  it("an invalid config is rejected and the running graph is untouched", async () => {
    const s = setup(yaml("a"));
    await s.service.start(noopHost);
    s.write(yaml("a").replace("processors: { slow: {} }", "processors: { slow: { lable: x } }"));
    expect(await s.reloader.reload("test")).toBe("invalid");
    expect(s.events.filter((e) => e.startsWith("stop"))).toEqual([]);
    await s.inputs.get("fake_in")!.logs!.consume(logRecords(1));
    expect(s.outputs.get("fake_out#1")).toHaveLength(1);
  });

  it("an identical config changes nothing", async () => {
    const s = setup(yaml("a"));
    await s.service.start(noopHost);
    expect(await s.reloader.reload("test")).toBe("unchanged");
    expect(s.events.filter((e) => e.startsWith("stop"))).toEqual([]);
  });
});
