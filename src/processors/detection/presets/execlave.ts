import {
  AGENT_TRACE_EVENT_NAME,
  ATTR,
  DETECTION_EVENT_NAME,
  RESOURCE_ATTR,
} from "../../../pdata/detection.js";
import type { AnyValue, Attributes } from "../../../pdata/value.js";
import type { DetectionConfig } from "../config.js";
import {
  type Mapped,
  MappingError,
  type Payload,
  type Preset,
  put,
  w3cTraceId,
} from "../mapping.js";
import { Reader } from "../read.js";
import { parseTime } from "../time.js";

/** The model's scale for an agent trace's status. */
const SCALE = {
  policy_blocked: "high",
  flagged_for_review: "medium",
  limit_exceeded: "medium",
  error: "low",
  timeout: "low",
  success: "info",
} as const;

/** What a detection status says about the trace: category and the action the vendor took. */
const DETECTION_KIND: Record<string, { category: string; action: string }> = {
  policy_blocked: { category: "policy_violation", action: "blocked" },
  flagged_for_review: { category: "policy_violation", action: "flagged_for_review" },
  limit_exceeded: { category: "cost_limit", action: "rate_limited" },
};

/** gen_ai.operation.name for the vendor's span types. */
const OPERATION: Record<string, string> = {
  llm: "chat",
  tool: "execute_tool",
  agent: "invoke_agent",
};

/**
 * Fields the vendor's Datadog integration guide uses in monitors (`source:execlave
 * status:(policy_blocked OR …)`); they are kept under their own names next to the model's, so
 * such monitors keep matching.
 */
const DATADOG_FIELDS = [
  "trace_id",
  "agent_id",
  "status",
  "model",
  "total_tokens",
  "cost_usd",
  "duration_ms",
  "environment",
  "span_type",
  "span_name",
  "agent_name",
  "autonomy_level",
  "agent_status",
  "idp_bound",
] as const;

/** Execlave agent traces: every trace passes; the ones with a detect status are detections. */
export const execlave: Preset = {
  scale: SCALE,
  map(payload: Payload, config: DetectionConfig): Mapped {
    const r = new Reader(payload);
    const traceId = r.str("trace_id");
    const status = r.str("status");
    if (traceId === undefined && status === undefined)
      throw new MappingError("not an execlave trace: neither trace_id nor status is present");
    const isDetection = status !== undefined && config.detect_statuses.includes(status);
    const agentId = r.str("agent_id");
    const spanType = r.str("span_type");
    const spanName = r.str("span_name");
    const model = r.str("model");
    const environment = r.str("environment");

    const a: Attributes = {};
    put(a, ATTR.id, traceId);
    if (isDetection) {
      const kind = DETECTION_KIND[status] ?? { category: status, action: "observed" };
      a[ATTR.category] = kind.category;
      a[ATTR.action] = kind.action;
    }
    put(a, ATTR.surface, "ai_agent");
    put(a, ATTR.agentId, agentId);
    put(a, ATTR.agentName, r.str("agent_name"));
    put(a, ATTR.requestModel, model);
    put(a, ATTR.operationName, spanType ? OPERATION[spanType] : undefined);
    if (spanType === "tool") put(a, ATTR.toolName, spanName);
    put(a, ATTR.inputTokens, r.num("prompt_tokens"));
    put(a, ATTR.outputTokens, r.num("completion_tokens"));
    put(a, ATTR.costUsd, r.num("cost_usd"));
    put(a, ATTR.durationMs, r.num("duration_ms"));
    put(a, ATTR.userId, r.str("user_id"));
    put(a, ATTR.sessionId, r.str("session_id"));
    put(a, ATTR.agentAutonomyLevel, r.str("autonomy_level"));
    put(a, ATTR.agentRegistryStatus, r.str("agent_status"));
    put(a, ATTR.agentIdpBound, r.bool("idp_bound"));
    put(a, ATTR.errorType, r.str("error_type"));
    put(a, ATTR.errorMessage, r.str("error_message"));
    put(a, "parent_trace_id", r.str("parent_trace_id"));
    put(a, "organization_id", r.str("organization_id"));
    for (const field of DATADOG_FIELDS) put(a, field, r.raw(field) as AnyValue | undefined);
    a[ATTR.sourceProduct] = "execlave";
    a[ATTR.sourceVendor] = "Execlave";

    const resource: Attributes = {};
    put(resource, RESOURCE_ATTR.serviceName, agentId);
    put(resource, RESOURCE_ATTR.environment, environment);

    const who = agentId ? `agent ${agentId}` : "an agent";
    const what = [spanType, spanName].filter(Boolean).join(" ");
    const body = isDetection
      ? `${a[ATTR.category]} ${a[ATTR.action]} on ${who} (status ${status})`
      : `agent trace ${status ?? "without status"} on ${who}${what ? `: ${what}` : ""}${model ? ` (${model})` : ""}`;

    return {
      eventName: isDetection ? DETECTION_EVENT_NAME : AGENT_TRACE_EVENT_NAME,
      time: r.time("timestamp", (v) => parseTime(v, "ms")),
      severityText: status ?? "",
      severityKey: status?.toLowerCase(),
      body,
      attributes: a,
      resource,
      // The vendor's trace id is a UUID; its 32 hex digits are a valid W3C trace id, which lets
      // a backend link the record to the trace if the agent also exported it over OTLP.
      traceId: w3cTraceId(traceId?.replaceAll("-", "")),
      drop: !isDetection && !config.include_non_detections,
    };
  },
};
