import pino from "pino";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type {
  AnyFactory,
  Consumer,
  ExporterFactory,
  ProcessorFactory,
  ReceiverFactory,
  SignalConsumers,
} from "../../src/component/component.js";
import { PermanentError, RetryableError } from "../../src/component/errors.js";
import { Registry } from "../../src/component/registry.js";
import type { LogBatch } from "../../src/pdata/logs.js";
import { Service } from "../../src/service/service.js";
import { noopHost, RecordingTelemetry } from "../helpers/context.js";
import { planYaml } from "../helpers/plan.js";
import { logRecords } from "../helpers/records.js";

/** Fake components that log their lifecycle and let tests push data in and see it out. */
function fakes() {
  const events: string[] = [];
  const inputs = new Map<string, SignalConsumers>();
  const outputs = new Map<string, LogBatch[]>();
  const options = z.strictObject({
    fail_start: z.boolean().default(false),
    fail_with: z.enum(["none", "retryable", "permanent"]).default("none"),
  });
  const lifecycle = (id: string, failStart = false) => ({
    start: async () => {
      if (failStart) throw new Error("port in use");
      events.push(`start ${id}`);
    },
    shutdown: async () => {
      events.push(`stop ${id}`);
    },
  });
  const receiver: ReceiverFactory<typeof options> = {
    type: "fake_in",
    kind: "receiver",
    description: "",
    signals: ["logs", "metrics"],
    configSchema: options,
    create: (ctx, config, next) => {
      inputs.set(ctx.id, next);
      return lifecycle(ctx.id, config.fail_start);
    },
  };
  const processor: ProcessorFactory<typeof options> = {
    type: "tag",
    kind: "processor",
    description: "",
    signals: ["logs"],
    configSchema: options,
    create: (ctx, _config, next) => ({
      ...lifecycle(`${ctx.pipeline}/${ctx.id}`),
      mutatesData: true,
      consume: async (batch) => {
        for (const r of batch as LogBatch) r.attributes[`seen.${ctx.pipeline}`] = true;
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
    create: (ctx, config) => {
      outputs.set(ctx.id, []);
      const consume: Consumer<LogBatch>["consume"] = async (batch) => {
        if (config.fail_with === "retryable") throw new RetryableError("backend down", 3000);
        if (config.fail_with === "permanent") throw new PermanentError("bad data");
        outputs.get(ctx.id)!.push(batch);
      };
      return { ...lifecycle(ctx.id, config.fail_start), consumers: { logs: { consume } } };
    },
  };
  const registry = new Registry([receiver, processor, exporter] as AnyFactory[]);
  return { events, inputs, outputs, registry };
}

function build(yaml: string) {
  const f = fakes();
  const { config, plan, dir } = planYaml(yaml, f.registry);
  const telemetry = new RecordingTelemetry();
  const logger = pino({ level: "silent" });
  const service = new Service({ config, plan, logger, telemetry, configDir: dir });
  return { ...f, service, telemetry };
}

const fanYaml = `
receivers: { fake_in: {}, fake_in/2: {} }
processors: { tag: {} }
exporters: { fake_out/a: {}, fake_out/b: {} }
service:
  pipelines:
    logs/one: { receivers: [fake_in, fake_in/2], processors: [tag], exporters: [fake_out/a] }
    logs/two: { receivers: [fake_in], processors: [tag], exporters: [fake_out/a, fake_out/b] }
`;

describe("Service", () => {
  it("starts exporters, then processors, then receivers, and stops in reverse", async () => {
    const s = build(fanYaml);
    await s.service.start(noopHost);
    await s.service.shutdown();
    const starts = s.events.filter((e) => e.startsWith("start"));
    const stops = s.events.filter((e) => e.startsWith("stop"));
    const lastExporterStart = Math.max(
      starts.indexOf("start fake_out/a"),
      starts.indexOf("start fake_out/b"),
    );
    expect(lastExporterStart).toBeLessThan(starts.indexOf("start logs/one/tag"));
    expect(starts.indexOf("start logs/two/tag")).toBeLessThan(starts.indexOf("start fake_in"));
    expect(stops.indexOf("stop fake_in")).toBeLessThan(stops.indexOf("stop logs/one/tag"));
    expect(stops.indexOf("stop logs/one/tag")).toBeLessThan(stops.indexOf("stop fake_out/a"));
    // One instance per exporter even though fake_out/a is in two pipelines.
    expect(starts.filter((e) => e === "start fake_out/a")).toHaveLength(1);
    expect(starts).toHaveLength(6);
  });

  it("fans a shared receiver out to every pipeline, each mutating branch on its own copy", async () => {
    const s = build(fanYaml);
    await s.service.start(noopHost);
    await s.inputs.get("fake_in")!.logs!.consume(logRecords(3));
    const a = s.outputs.get("fake_out/a")!;
    const b = s.outputs.get("fake_out/b")!;
    expect(a).toHaveLength(2); // one batch from each pipeline (fan-in)
    expect(b).toHaveLength(1);
    const fromOne = a.find((x) => x[0]!.attributes["seen.logs/one"])!;
    const fromTwo = a.find((x) => x[0]!.attributes["seen.logs/two"])!;
    expect(fromOne[0]!.attributes["seen.logs/two"]).toBeUndefined();
    expect(fromTwo[0]!.attributes["seen.logs/one"]).toBeUndefined();
    // Only fake_in feeds logs/two; fake_in/2 reaches logs/one alone.
    await s.inputs.get("fake_in/2")!.logs!.consume(logRecords(1));
    expect(a).toHaveLength(3);
    expect(b).toHaveLength(1);
    expect(s.telemetry.get("exporter/fake_out/a/sent/logs")).toBe(7);
    await s.service.shutdown();
  });

  it("passes a retryable refusal back to the receiver with its Retry-After hint", async () => {
    const s = build(`
receivers: { fake_in: {} }
exporters: { fake_out/ok: {}, fake_out/down: { fail_with: retryable } }
service: { pipelines: { logs: { receivers: [fake_in], exporters: [fake_out/ok, fake_out/down] } } }
`);
    await s.service.start(noopHost);
    const error = await s.inputs
      .get("fake_in")!
      .logs!.consume(logRecords(2))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).retryAfterMs).toBe(3000);
    expect(s.telemetry.get("exporter/fake_out/down/send_failed/logs")).toBe(2);
    expect(s.telemetry.get("exporter/fake_out/ok/sent/logs")).toBe(2);
    await s.service.shutdown();
  });

  it("reports a permanent refusal as permanent", async () => {
    const s = build(`
receivers: { fake_in: {} }
exporters: { fake_out: { fail_with: permanent } }
service: { pipelines: { logs: { receivers: [fake_in], exporters: [fake_out] } } }
`);
    await s.service.start(noopHost);
    const consume = s.inputs.get("fake_in")!.logs!.consume(logRecords(1));
    await expect(consume).rejects.toBeInstanceOf(PermanentError);
    await s.service.shutdown();
  });

  it("a component that fails to start stops the started ones and is named in the error", async () => {
    const s = build(`
receivers: { fake_in: { fail_start: true } }
exporters: { fake_out: {} }
service: { pipelines: { logs: { receivers: [fake_in], exporters: [fake_out] } } }
`);
    await expect(s.service.start(noopHost)).rejects.toThrow(
      'failed to start receiver "fake_in": port in use',
    );
    expect(s.events).toEqual(["start fake_out", "stop fake_out"]);
  });
});
