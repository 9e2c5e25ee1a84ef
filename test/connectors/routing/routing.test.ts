import pino from "pino";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type {
  AnyFactory,
  Consumer,
  ExporterFactory,
  ReceiverFactory,
  SignalConsumers,
} from "../../../src/component/component.js";
import { PermanentError, RetryableError } from "../../../src/component/errors.js";
import { Registry } from "../../../src/component/registry.js";
import { routedPipelines, routingConfigSchema } from "../../../src/connectors/routing/config.js";
import { routingFactory } from "../../../src/connectors/routing/factory.js";
import type { LogBatch, LogRecord } from "../../../src/pdata/logs.js";
import { filterFactory } from "../../../src/processors/filter/factory.js";
import { transformFactory } from "../../../src/processors/transform/factory.js";
import { Service } from "../../../src/service/service.js";
import { noopHost, RecordingTelemetry, testContext } from "../../helpers/context.js";
import { planYaml } from "../../helpers/plan.js";
import { logRecord } from "../../helpers/records.js";

class Sink implements Consumer<unknown> {
  readonly batches: LogBatch[] = [];
  constructor(private readonly failWith?: Error) {}
  async consume(batch: unknown): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.batches.push(batch as LogBatch);
  }
  get ids(): unknown[] {
    return this.batches.flat().map((r) => r.attributes["detection.id"]);
  }
}

function setup(config: Record<string, unknown>, sinks: Record<string, Sink>) {
  const ctx = { ...testContext("routing"), pipelines: new Map(Object.entries(sinks)) };
  const connector = routingFactory.create(ctx, routingConfigSchema.parse(config), {});
  return { ctx, connector, consume: (batch: LogBatch) => connector.consumers.logs!.consume(batch) };
}

function detection(id: string, severity: string, action = "blocked", env = "prod"): LogRecord {
  return logRecord({
    attributes: { "detection.id": id, "detection.severity": severity, "detection.action": action },
    resource: { attributes: { "deployment.environment.name": env } },
  });
}

const table = [
  {
    context: "log",
    condition: 'attributes["detection.severity"] == "critical"',
    pipelines: ["logs/pager"],
  },
  {
    context: "log",
    statement:
      'route() where attributes["detection.severity"] == "high" or attributes["detection.severity"] == "critical"',
    pipelines: ["logs/siem"],
  },
];

describe("routing config", () => {
  it("fills in the Collector's defaults", () => {
    expect(
      routingConfigSchema.parse({ table: [{ condition: "true", pipelines: ["logs/a"] }] }),
    ).toEqual({
      table: [{ context: "resource", condition: "true", pipelines: ["logs/a"] }],
      default_pipelines: [],
      match_once: true,
      error_mode: "propagate",
    });
  });

  it("documents every option", () => {
    const shape = routingConfigSchema.shape;
    for (const key of Object.keys(shape) as (keyof typeof shape)[]) {
      expect(shape[key].description, key).toBeTruthy();
    }
  });

  it.each([
    [
      { table: [{ pipelines: ["logs/a"] }] },
      [["table", 0]],
      "give exactly one of condition or statement",
    ],
    [
      { table: [{ condition: "true", statement: "route()", pipelines: ["logs/a"] }] },
      [["table", 0]],
      "give exactly one of condition or statement",
    ],
    [
      { table: [{ condition: 'attributes["x"] == ', pipelines: ["logs/a"] }] },
      [["table", 0, "condition"]],
      "invalid OTTL condition: expected a value but found end of input at column 20",
    ],
    [
      { table: [{ statement: 'route() where attributes["x"] = 1', pipelines: ["logs/a"] }] },
      [["table", 0, "statement"]],
      'invalid OTTL statement: unexpected "=" (use "==" to compare) at column 31',
    ],
    [
      { table: [{ statement: 'set(attributes["x"], 1)', pipelines: ["logs/a"] }] },
      [["table", 0, "statement"]],
      'invalid OTTL statement: expected "route() where <condition>" at column 1',
    ],
    [
      { table: [{ condition: "severity_number > 1", pipelines: ["logs/a"] }] },
      [["table", 0, "condition"]],
      'invalid OTTL condition: unknown path "severity_number"',
    ],
    [
      { table: [{ condition: "true", pipelines: ["metrics/a"] }] },
      [["table", 0, "pipelines", 0]],
      'expected a logs pipeline ID, "logs" or "logs/NAME"',
    ],
    [{ table: [] }, [["table"]], ""],
  ])("rejects %j", (config, paths, message) => {
    const result = routingConfigSchema.safeParse(config);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path)).toEqual(paths);
    expect(result.error?.issues[0]?.message.startsWith(message)).toBe(true);
  });

  it("lists every pipeline a config routes to", () => {
    const config = routingConfigSchema.parse({
      table,
      default_pipelines: ["logs/rest", "logs/siem"],
    });
    expect(routedPipelines(config)).toEqual(["logs/pager", "logs/siem", "logs/rest"]);
  });
});

describe("routing connector", () => {
  it.each([
    // match_once, expected ids per pipeline
    [true, { pager: ["c"], siem: ["h"], rest: ["m"] }],
    [false, { pager: ["c"], siem: ["c", "h"], rest: ["m"] }],
  ])("match_once %s routes by table order with a default", async (matchOnce, expected) => {
    const sinks = { "logs/pager": new Sink(), "logs/siem": new Sink(), "logs/rest": new Sink() };
    const { consume } = setup(
      { table, default_pipelines: ["logs/rest"], match_once: matchOnce },
      sinks,
    );
    await consume([detection("c", "critical"), detection("h", "high"), detection("m", "medium")]);
    expect({
      pager: sinks["logs/pager"].ids,
      siem: sinks["logs/siem"].ids,
      rest: sinks["logs/rest"].ids,
    }).toEqual(expected);
    // One batch per pipeline, not one per record.
    expect(sinks["logs/siem"].batches).toHaveLength(1);
  });

  it("routes on resource attributes in the default resource context", async () => {
    const sinks = { "logs/prod": new Sink(), "logs/other": new Sink() };
    const { consume } = setup(
      {
        table: [
          {
            condition: 'attributes["deployment.environment.name"] == "prod"',
            pipelines: ["logs/prod"],
          },
        ],
        default_pipelines: ["logs/other"],
      },
      sinks,
    );
    await consume([
      detection("a", "low", "blocked", "prod"),
      detection("b", "low", "blocked", "staging"),
    ]);
    expect(sinks["logs/prod"].ids).toEqual(["a"]);
    expect(sinks["logs/other"].ids).toEqual(["b"]);
  });

  it("drops records that match nothing when there is no default", async () => {
    const sinks = { "logs/pager": new Sink(), "logs/siem": new Sink() };
    const { consume } = setup({ table }, sinks);
    await consume([detection("i", "info")]);
    expect(sinks["logs/pager"].batches).toHaveLength(0);
    expect(sinks["logs/siem"].batches).toHaveLength(0);
  });

  it("gives every pipeline but the first its own copy of a shared record", async () => {
    const sinks = { "logs/pager": new Sink(), "logs/siem": new Sink() };
    const { consume } = setup({ table, match_once: false }, sinks);
    const record = detection("c", "critical");
    await consume([record]);
    const [toPager] = sinks["logs/pager"].batches[0]!;
    const [toSiem] = sinks["logs/siem"].batches[0]!;
    expect(toPager).toBe(record);
    expect(toSiem).toEqual(record);
    expect(toSiem).not.toBe(record);
    expect(toSiem!.attributes).not.toBe(record.attributes);
  });

  it("waits for every pipeline and passes a refusal back, combined", async () => {
    const sinks = {
      "logs/pager": new Sink(new RetryableError("pager down", 5000)),
      "logs/siem": new Sink(),
    };
    const { consume } = setup({ table, match_once: false }, sinks);
    const result = consume([detection("c", "critical")]);
    await expect(result).rejects.toBeInstanceOf(RetryableError);
    await expect(result).rejects.toMatchObject({ retryAfterMs: 5000 });
    expect(sinks["logs/siem"].ids).toEqual(["c"]);
  });

  it("rejects at create time a route naming a pipeline that does not receive from it", () => {
    const config = routingConfigSchema.parse({ table, default_pipelines: ["logs/nowhere"] });
    const ctx = {
      ...testContext("routing/alerts"),
      pipelines: new Map([
        ["logs/pager", new Sink()],
        ["logs/siem", new Sink()],
      ]),
    };
    expect(() => routingFactory.create(ctx, config, {})).toThrow(
      'routing/alerts: default_pipelines names pipeline "logs/nowhere", which does not list "routing/alerts" as a receiver (pipelines that do: logs/pager, logs/siem)',
    );
  });

  describe("error_mode", () => {
    const failing = [
      { context: "log", condition: 'ToLowerCase(attributes["n"]) == "x"', pipelines: ["logs/a"] },
    ];
    const batch = () => [logRecord({ attributes: { n: 1, "detection.id": "n" } })];

    it("propagate rejects the batch with a PermanentError", async () => {
      const sinks = { "logs/a": new Sink(), "logs/b": new Sink() };
      const { consume } = setup({ table: failing, default_pipelines: ["logs/b"] }, sinks);
      await expect(consume(batch())).rejects.toBeInstanceOf(PermanentError);
      expect(sinks["logs/b"].batches).toHaveLength(0);
    });

    it("ignore treats the route as not matching and uses the default", async () => {
      const sinks = { "logs/a": new Sink(), "logs/b": new Sink() };
      const { consume } = setup(
        { table: failing, default_pipelines: ["logs/b"], error_mode: "ignore" },
        sinks,
      );
      await consume(batch());
      expect(sinks["logs/b"].ids).toEqual(["n"]);
    });
  });
});

describe("routing through a running service", () => {
  function build(yaml: string) {
    const inputs = new Map<string, SignalConsumers>();
    const outputs = new Map<string, LogBatch[]>();
    const empty = z.strictObject({});
    const receiver: ReceiverFactory<typeof empty> = {
      type: "fake_in",
      kind: "receiver",
      description: "",
      signals: ["logs"],
      configSchema: empty,
      create: (ctx, _c, next) => {
        inputs.set(ctx.id, next);
        return { start: async () => {}, shutdown: async () => {} };
      },
    };
    const exporter: ExporterFactory<typeof empty> = {
      type: "fake_out",
      kind: "exporter",
      description: "",
      signals: ["logs"],
      configSchema: empty,
      create: (ctx) => {
        const batches: LogBatch[] = [];
        outputs.set(ctx.id, batches);
        return {
          start: async () => {},
          shutdown: async () => {},
          consumers: { logs: { consume: async (b) => void batches.push(b) } },
        };
      },
    };
    const registry = new Registry([
      receiver,
      exporter,
      routingFactory,
      filterFactory,
      transformFactory,
    ] as AnyFactory[]);
    const { config, plan, dir } = planYaml(yaml, registry);
    const create = () =>
      new Service({
        config,
        plan,
        logger: pino({ level: "silent" }),
        telemetry: new RecordingTelemetry(),
        configDir: dir,
      });
    return { inputs, outputs, create };
  }

  const yaml = `
receivers: { fake_in: {} }
processors:
  filter/noise: { min_severity: medium }
  transform/page: { log_statements: ['set(attributes["paged"], true)'] }
connectors:
  routing:
    match_once: false
    default_pipelines: [logs/archive]
    table:
      - context: log
        condition: attributes["detection.severity"] == "critical"
        pipelines: [logs/pager]
      - context: log
        statement: route() where attributes["detection.action"] != "blocked"
        pipelines: [logs/siem]
exporters: { fake_out/pager: {}, fake_out/siem: {}, fake_out/archive: {} }
service:
  pipelines:
    logs/in: { receivers: [fake_in], processors: [filter/noise], exporters: [routing] }
    logs/pager: { receivers: [routing], processors: [transform/page], exporters: [fake_out/pager] }
    logs/siem: { receivers: [routing], exporters: [fake_out/siem] }
    logs/archive: { receivers: [routing], exporters: [fake_out/archive] }
`;

  it("filters, routes to the named pipelines, and keeps a mutating pipeline's changes to itself", async () => {
    const s = build(yaml);
    const service = s.create();
    await service.start(noopHost);
    await s.inputs
      .get("fake_in")!
      .logs!.consume([
        detection("crit-allowed", "critical", "allowed"),
        detection("high-blocked", "high", "blocked"),
        detection("low-allowed", "low", "allowed"),
        detection("medium-allowed", "medium", "allowed"),
      ]);
    const ids = (id: string) =>
      s.outputs
        .get(id)!
        .flat()
        .map((r) => r.attributes["detection.id"]);
    expect(ids("fake_out/pager")).toEqual(["crit-allowed"]);
    expect(ids("fake_out/siem")).toEqual(["crit-allowed", "medium-allowed"]);
    expect(ids("fake_out/archive")).toEqual(["high-blocked"]);
    const siemCopy = s.outputs.get("fake_out/siem")!.flat()[0]!;
    expect(s.outputs.get("fake_out/pager")!.flat()[0]!.attributes.paged).toBe(true);
    expect(siemCopy.attributes.paged).toBeUndefined();
    await service.shutdown();
  });

  it("fails to build when a route names a pipeline that does not receive from the connector", () => {
    const s = build(yaml.replace("pipelines: [logs/siem]", "pipelines: [logs/elsewhere]"));
    expect(() => s.create()).toThrow(
      /table\[1\] names pipeline "logs\/elsewhere", which does not list "routing" as a receiver/,
    );
  });
});
