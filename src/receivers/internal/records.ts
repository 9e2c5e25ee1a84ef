import type { LogRecord } from "../../pdata/logs.js";
import type { Resource, Scope } from "../../pdata/resource.js";
import type { AnyValue, Attributes } from "../../pdata/value.js";

/**
 * One received JSON object as a log record: the body is the object as sent and both times are
 * the moment of arrival. Presets or processors later lift the source's own time, severity and
 * canonical attributes out of the body.
 */
export function itemRecord(
  item: Record<string, unknown>,
  observedTime: bigint,
  resource: Resource,
  scope: Scope,
  attributes: Attributes = {},
): LogRecord {
  return {
    time: observedTime,
    observedTime,
    severityNumber: 0,
    severityText: "",
    body: item as AnyValue,
    attributes,
    resource,
    scope,
  };
}
