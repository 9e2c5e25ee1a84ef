import type { AnyFactory } from "./component/component.js";
import { Registry } from "./component/registry.js";
import { countFactory } from "./connectors/count/factory.js";
import { detectionMetricsFactory } from "./connectors/detection_metrics/factory.js";
import { routingFactory } from "./connectors/routing/factory.js";
import { datadogEventsFactory } from "./exporters/datadog_events/factory.js";
import { datadogLogsFactory } from "./exporters/datadog_logs/factory.js";
import { debugFactory } from "./exporters/debug/factory.js";
import { fileFactory } from "./exporters/file/factory.js";
import { grafanaAnnotationsFactory } from "./exporters/grafana_annotations/factory.js";
import { lokiFactory } from "./exporters/loki/factory.js";
import {
  otlpGrpcExporterFactory,
  otlpGrpcRenamedExporterFactory,
} from "./exporters/otlp/factory.js";
import {
  otlpHttpExporterFactory,
  otlpHttpRenamedExporterFactory,
} from "./exporters/otlphttp/factory.js";
import { prometheusFactory } from "./exporters/prometheus/factory.js";
import { prometheusRemoteWriteFactory } from "./exporters/prometheusremotewrite/factory.js";
import { attributesFactory } from "./processors/attributes/factory.js";
import { batchFactory } from "./processors/batch/factory.js";
import { dedupFactory } from "./processors/dedup/factory.js";
import { detectionFactory } from "./processors/detection/factory.js";
import { enrichFactory } from "./processors/enrich/factory.js";
import { filterFactory } from "./processors/filter/factory.js";
import { memoryLimiterFactory } from "./processors/memory_limiter/factory.js";
import { redactionFactory } from "./processors/redaction/factory.js";
import { resourceFactory } from "./processors/resource/factory.js";
import { throttleFactory } from "./processors/throttle/factory.js";
import { transformFactory } from "./processors/transform/factory.js";
import { detectionsFactory } from "./receivers/detections/factory.js";
import { fileReceiverFactory } from "./receivers/file/factory.js";
import { otlpFactory } from "./receivers/otlp/factory.js";

/** Every component Tripline ships. Nothing else in the code knows component type names. */
export const factories: readonly AnyFactory[] = [
  detectionsFactory,
  fileReceiverFactory,
  otlpFactory,
  memoryLimiterFactory,
  batchFactory,
  detectionFactory,
  filterFactory,
  transformFactory,
  attributesFactory,
  resourceFactory,
  enrichFactory,
  redactionFactory,
  dedupFactory,
  throttleFactory,
  debugFactory,
  fileFactory,
  datadogLogsFactory,
  datadogEventsFactory,
  lokiFactory,
  otlpHttpExporterFactory,
  otlpHttpRenamedExporterFactory,
  otlpGrpcExporterFactory,
  otlpGrpcRenamedExporterFactory,
  prometheusFactory,
  prometheusRemoteWriteFactory,
  grafanaAnnotationsFactory,
  routingFactory,
  detectionMetricsFactory,
  countFactory,
] as AnyFactory[];

export const registry = new Registry(factories);
