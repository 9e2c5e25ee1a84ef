import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Exporter } from "../../../src/component/component.js";
import { PermanentError, RetryableError } from "../../../src/component/errors.js";
import { prometheusRemoteWriteFactory } from "../../../src/exporters/prometheusremotewrite/factory.js";
import { noopHost, testContext } from "../../helpers/context.js";
import { detections, histogramPoint, latency, ms, point, resource } from "../prometheus/metrics.js";
import { RemoteWriteReceiver } from "./receiver.js";

const res = resource("support-bot", { "k8s.cluster.name": "eu-1" });
const high = { severity: "high", category: "prompt_injection", action: "blocked" };
const id = { job: "support-bot", instance: "support-bot-0" };

describe("prometheusremotewrite exporter", () => {
  let receiver: RemoteWriteReceiver;
  let exporter: Exporter | undefined;
  beforeEach(async () => {
    receiver = await new RemoteWriteReceiver().start();
  });
  afterEach(async () => {
    await exporter?.shutdown();
    exporter = undefined;
    await receiver.stop();
  });

  async function start(options: Record<string, unknown> = {}) {
    const config = prometheusRemoteWriteFactory.configSchema.parse({
      endpoint: receiver.url,
      sending_queue: { enabled: false },
      retry_on_failure: { enabled: false },
      ...options,
    });
    exporter = prometheusRemoteWriteFactory.create(testContext("prw"), config, ["metrics"]);
    await exporter.start(noopHost);
    return exporter.consumers.metrics!;
  }

  it("defaults to one queue consumer so series stay in order", () => {
    const config = prometheusRemoteWriteFactory.configSchema.parse({ endpoint: receiver.url });
    expect(config.sending_queue.num_consumers).toBe(1);
    expect(config.max_batch_size_bytes).toBe(3_000_000);
  });

  it("writes cumulative counters from deltas, samples in ms, with the required headers", async () => {
    const m = await start({ headers: { "X-Scope-OrgID": "t1" }, auth: { bearer_token: "tok" } });
    await m.consume([detections(res, "delta", [point(high, 3, ms(1_000), ms(2_000))])]);
    await m.consume([detections(res, "delta", [point(high, 2, ms(2_000), ms(3_000))])]);
    expect(receiver.requests.map((r) => r.status)).toEqual([204, 204]);
    expect(receiver.requests[0]!.headers.authorization).toBe("Bearer tok");
    expect(receiver.requests[0]!.headers["x-scope-orgid"]).toBe("t1");
    expect(receiver.requests[0]!.headers["user-agent"]).toMatch(/^Tripline\//);
    const series = receiver.series.filter((s) => s.labels.__name__ === "detections_total");
    expect(series.map((s) => s.samples)).toEqual([
      [{ value: 3, timestamp: 2_000 }],
      [{ value: 5, timestamp: 3_000 }],
    ]);
    expect(series[0]!.labels).toEqual({ __name__: "detections_total", ...high, ...id });
  });

  it("drops a delta that is not newer than the last one (it would count twice)", async () => {
    const m = await start();
    await m.consume([detections(res, "delta", [point(high, 3, ms(1_000), ms(2_000))])]);
    await m.consume([detections(res, "delta", [point(high, 3, ms(1_000), ms(2_000))])]);
    expect(receiver.value({ __name__: "detections_total", ...high, ...id })).toBe(3);
    expect(receiver.requests).toHaveLength(1);
  });

  it("a retried batch resends the same cumulative value", async () => {
    const m = await start({
      retry_on_failure: { initial_interval: "10ms", max_interval: "10ms", randomization_factor: 0 },
    });
    receiver.respondWith({ status: 503 });
    await m.consume([detections(res, "delta", [point(high, 4, ms(1_000), ms(2_000))])]);
    expect(receiver.requests.map((r) => r.status)).toEqual([503, 204]);
    expect(receiver.value({ __name__: "detections_total", ...high, ...id })).toBe(4);
  });

  it("a batch refused downstream converts to the same values when it is sent again", async () => {
    const m = await start();
    receiver.respondWith({ status: 503 });
    const batch = [detections(res, "delta", [point(high, 4, ms(1_000), ms(2_000))])];
    await expect(m.consume(batch)).rejects.toThrow(RetryableError);
    // Without the undo the resend would look like a duplicate delta and be dropped.
    await m.consume(batch);
    expect(receiver.requests.map((r) => r.status)).toEqual([503, 204]);
    expect(receiver.value({ __name__: "detections_total", ...high, ...id })).toBe(4);
  });

  it("writes histograms as _bucket{le}, _sum, _count, and target_info", async () => {
    const m = await start({ external_labels: { region: "eu" } });
    await m.consume([
      latency(res, "delta", [histogramPoint({}, [1, 2, 0, 0], 0.9, ms(0), ms(1_000))]),
    ]);
    await m.consume([
      latency(res, "delta", [histogramPoint({}, [0, 1, 1, 1], 2.5, ms(1_000), ms(2_000))]),
    ]);
    const labels = { ...id, region: "eu" };
    const le = (v: string) =>
      receiver.value({ __name__: "detection_latency_seconds_bucket", ...labels, le: v });
    expect([le("0.1"), le("0.5"), le("1"), le("+Inf")]).toEqual([1, 4, 5, 6]);
    expect(receiver.value({ __name__: "detection_latency_seconds_count", ...labels })).toBe(6);
    expect(receiver.value({ __name__: "detection_latency_seconds_sum", ...labels })).toBeCloseTo(
      3.4,
    );
    expect(
      receiver.value({
        __name__: "target_info",
        ...id,
        deployment_environment_name: "prod",
        k8s_cluster_name: "eu-1",
      }),
    ).toBe(1);
  });

  it("splits requests by max_samples_per_send and max_batch_size_bytes", async () => {
    const m = await start({ max_samples_per_send: 10, target_info: { enabled: false } });
    const points = Array.from({ length: 35 }, (_, i) =>
      point({ ...high, n: String(i) }, i, ms(0), ms(1_000)),
    );
    await m.consume([detections(res, "cumulative", points)]);
    expect(receiver.requests.map((r) => r.series.length)).toEqual([10, 10, 10, 5]);
    await exporter!.shutdown();
    receiver.requests.length = 0;
    const m2 = await start({ max_batch_size_bytes: 2048, target_info: { enabled: false } });
    await m2.consume([
      detections(
        res,
        "cumulative",
        points.map((p) => ({ ...p, time: ms(2_000) })),
      ),
    ]);
    expect(receiver.requests.length).toBeGreaterThan(1);
    expect(receiver.requests.every((r) => r.bytes <= 2048)).toBe(true);
    expect(receiver.series).toHaveLength(35);
  });

  it("4xx is permanent, 5xx and 429 retryable with Retry-After", async () => {
    const m = await start();
    const batch = () => [detections(res, "cumulative", [point(high, 1, ms(0), ms(Date.now()))])];
    receiver.respondWith({ status: 400 });
    await expect(m.consume(batch())).rejects.toBeInstanceOf(PermanentError);
    receiver.respondWith({ status: 429, headers: { "retry-after": "2" } });
    const throttled = await m.consume(batch()).catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(RetryableError);
    expect((throttled as RetryableError).retryAfterMs).toBe(2000);
    receiver.respondWith({ status: 500 });
    await expect(m.consume(batch())).rejects.toBeInstanceOf(RetryableError);
  });
});
