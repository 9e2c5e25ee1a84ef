import pino from "pino";
import { expect, it } from "vitest";
import { z } from "zod";
import type {
  AnyFactory,
  ExporterFactory,
  ReceiverFactory,
  SignalConsumers,
} from "../../../src/component/component.js";
import { Registry } from "../../../src/component/registry.js";
import { detectionMetricsFactory } from "../../../src/connectors/detection_metrics/factory.js";
import type { Metric } from "../../../src/pdata/metrics.js";
import { otlpFactory } from "../../../src/receivers/otlp/factory.js";
import type { OtlpReceiver } from "../../../src/receivers/otlp/receiver.js";
import { Service } from "../../../src/service/service.js";
import { noopHost, RecordingTelemetry } from "../../helpers/context.js";
import { planYaml } from "../../helpers/plan.js";
import { logRecord } from "../../helpers/records.js";

const yaml = `
receivers:
  otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } }
  fake_in: {}
connectors:
  detection_metrics: { interval: 1h }
exporters:
  capture: {}
service:
  pipelines:
    logs: { receivers: [fake_in], exporters: [detection_metrics] }
    metrics: { receivers: [otlp, detection_metrics], exporters: [capture] }
`;

it("carries an OTLP-received sum and the connector's sums to the same metrics exporter", async () => {
  const empty = z.strictObject({});
  let logsIn: SignalConsumers = {};
  let otlp: OtlpReceiver | undefined;
  const captured: Metric[] = [];
  const fakeIn: ReceiverFactory<typeof empty> = {
    type: "fake_in",
    kind: "receiver",
    description: "",
    signals: ["logs"],
    configSchema: empty,
    create: (_ctx, _config, next) => {
      logsIn = next;
      return { start: async () => {}, shutdown: async () => {} };
    },
  };
  const capture: ExporterFactory<typeof empty> = {
    type: "capture",
    kind: "exporter",
    description: "",
    signals: ["metrics"],
    configSchema: empty,
    create: () => ({
      start: async () => {},
      shutdown: async () => {},
      consumers: { metrics: { consume: async (batch: Metric[]) => void captured.push(...batch) } },
    }),
  };
  const tappedOtlp = {
    ...otlpFactory,
    create: (...args: Parameters<typeof otlpFactory.create>) => {
      otlp = otlpFactory.create(...args) as OtlpReceiver;
      return otlp;
    },
  };
  const registry = new Registry([
    fakeIn,
    capture,
    tappedOtlp,
    detectionMetricsFactory,
  ] as AnyFactory[]);
  const { config, plan, dir } = planYaml(yaml, registry);
  const service = new Service({
    config,
    plan,
    logger: pino({ level: "silent" }),
    telemetry: new RecordingTelemetry(),
    configDir: dir,
  });
  await service.start(noopHost);
  try {
    const { port } = otlp!.addresses().http!;
    const now = `${BigInt(Date.now()) * 1_000_000n}`;
    const response = await fetch(`http://127.0.0.1:${port}/v1/metrics`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        resourceMetrics: [
          {
            resource: {
              attributes: [{ key: "service.name", value: { stringValue: "collector" } }],
            },
            scopeMetrics: [
              {
                scope: { name: "upstream" },
                metrics: [
                  {
                    name: "upstream.requests",
                    sum: {
                      aggregationTemporality: 2,
                      isMonotonic: true,
                      dataPoints: [{ asInt: "7", startTimeUnixNano: now, timeUnixNano: now }],
                    },
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(response.status).toBe(200);
    await logsIn.logs!.consume([
      logRecord({ attributes: { "detection.severity": "high" } }),
      logRecord({ attributes: { "detection.severity": "high" } }),
      logRecord({ attributes: { "detection.severity": "low" } }),
    ]);
  } finally {
    // Shutdown flushes the connector's series, so no interval has to pass.
    await service.shutdown();
  }
  const upstream = captured.find((m) => m.name === "upstream.requests");
  expect(upstream?.data.points.map((p) => ("value" in p ? p.value : undefined))).toEqual([7]);
  expect(upstream?.resource.attributes).toEqual({ "service.name": "collector" });
  const detections = captured.find((m) => m.name === "detections");
  expect(
    detections?.data.points.map((p) => [
      p.attributes["detection.severity"],
      "value" in p ? p.value : 0,
    ]),
  ).toEqual([
    ["high", 2],
    ["low", 1],
  ]);
});
