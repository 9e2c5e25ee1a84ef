/**
 * The detection model (facts/detection-model.md): the five severity levels, how they map to
 * OTel severity numbers and Datadog statuses, and the canonical attribute names. Presets,
 * processors, connectors and exporters import these so a name is spelt in one place only.
 */
import { DETECTION_EVENT_NAME } from "./logs.js";

export const DETECTION_SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type DetectionSeverity = (typeof DETECTION_SEVERITIES)[number];

export { DETECTION_EVENT_NAME };
/** An agent trace that is not itself a detection (kept so usage and cost metrics see it). */
export const AGENT_TRACE_EVENT_NAME = "gen_ai.agent.trace";

const SEVERITY_NUMBER: Record<DetectionSeverity, number> = {
  info: 9,
  low: 13,
  medium: 14,
  high: 17,
  critical: 21,
};

/** Datadog's log `status` per level (the model's table). */
const DATADOG_STATUS: Record<DetectionSeverity, string> = {
  info: "info",
  low: "warn",
  medium: "warn",
  high: "error",
  critical: "critical",
};

export function isDetectionSeverity(value: unknown): value is DetectionSeverity {
  return typeof value === "string" && (DETECTION_SEVERITIES as readonly string[]).includes(value);
}

/** INFO 9, WARN 13, WARN2 14, ERROR 17, FATAL 21. */
export function severityNumberOf(severity: DetectionSeverity): number {
  return SEVERITY_NUMBER[severity];
}

/**
 * The level an OTel severity number falls in, so records that arrive as plain OTLP logs can be
 * placed on the same scale: 1–12 (TRACE, DEBUG, INFO) info, 13 low, 14–16 medium, 17–20 high,
 * 21–24 critical. 0 (unspecified) and out-of-range numbers have no level.
 */
export function severityFromNumber(n: number): DetectionSeverity | undefined {
  if (!Number.isInteger(n) || n < 1 || n > 24) return undefined;
  if (n <= 12) return "info";
  if (n === 13) return "low";
  if (n <= 16) return "medium";
  if (n <= 20) return "high";
  return "critical";
}

export function datadogStatusOf(severity: DetectionSeverity): string {
  return DATADOG_STATUS[severity];
}

/** Canonical record and resource attribute names of the model. */
export const ATTR = {
  id: "detection.id",
  severity: "detection.severity",
  severityDefaulted: "detection.severity_defaulted",
  category: "detection.category",
  action: "detection.action",
  surface: "detection.surface",
  confidence: "detection.confidence",
  description: "detection.description",
  evidence: "detection.evidence",
  tags: "detection.tags",
  taxonomyOwaspLlm: "detection.taxonomy.owasp_llm",
  taxonomyOwaspApi: "detection.taxonomy.owasp_api",
  taxonomyMitreAtlas: "detection.taxonomy.mitre_atlas",
  taxonomyMitreAttack: "detection.taxonomy.mitre_attack",
  policyName: "detection.policy.name",
  policyMode: "detection.policy.mode",
  identityServiceAccount: "detection.identity.service_account",
  sourceProduct: "detection.source.product",
  sourceVendor: "detection.source.vendor",
  mappingError: "detection.mapping_error",
  raw: "detection.raw",

  ruleName: "security_rule.name",
  ruleUuid: "security_rule.uuid",
  ruleCategory: "security_rule.category",
  ruleDescription: "security_rule.description",
  rulesetName: "security_rule.ruleset.name",

  agentId: "gen_ai.agent.id",
  agentName: "gen_ai.agent.name",
  toolName: "gen_ai.tool.name",
  requestModel: "gen_ai.request.model",
  operationName: "gen_ai.operation.name",
  inputTokens: "gen_ai.usage.input_tokens",
  outputTokens: "gen_ai.usage.output_tokens",
  costUsd: "gen_ai.usage.cost_usd",
  mcpServerName: "mcp.server.name",

  userId: "user.id",
  userName: "user.name",
  sessionId: "session.id",
  httpMethod: "http.request.method",
  urlPath: "url.path",
  httpRoute: "http.route",

  agentAutonomyLevel: "agent.autonomy_level",
  agentRegistryStatus: "agent.registry_status",
  agentIdpBound: "agent.idp_bound",
  durationMs: "duration_ms",
  errorType: "error.type",
  errorMessage: "error.message",
} as const;

/** Resource attributes (who and where) the presets fill in. */
export const RESOURCE_ATTR = {
  serviceName: "service.name",
  serviceNamespace: "service.namespace",
  environment: "deployment.environment.name",
  k8sCluster: "k8s.cluster.name",
  k8sNamespace: "k8s.namespace.name",
  k8sPod: "k8s.pod.name",
  k8sDeployment: "k8s.deployment.name",
  containerName: "container.name",
  containerId: "container.id",
  containerImage: "container.image.name",
  hostName: "host.name",
  cloudRegion: "cloud.region",
  cloudAccount: "cloud.account.id",
} as const;
