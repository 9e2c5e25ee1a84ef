/**
 * The parts of per-key state that dedup and throttle share: least-recently-seen order bounded
 * by `max_keys`, the summary record that reports a key's tally, and forwarding that gives back
 * what a refused batch used.
 */
import type { Consumer } from "../../component/component.js";
import type { LogRecord } from "../../pdata/logs.js";
import { nanosToIso } from "./timestamp.js";

/** Moves `key` to the most recent end (a Map iterates in insertion order). */
export function touch<V>(state: Map<string, V>, key: string, value: V): void {
  state.delete(key);
  state.set(key, value);
}

/** The least recently seen entry when `state` has grown past `maxKeys`; the caller evicts it. */
export function overLimit<V>(state: Map<string, V>, maxKeys: number): V | undefined {
  return state.size > maxKeys ? state.values().next().value : undefined;
}

/**
 * Hands the records on; when downstream refuses, `undo` takes back what this batch counted
 * (the caller resends it, and must not be counted twice) before the error goes back.
 */
export async function forwardOrUndo(
  next: Consumer<unknown>,
  records: LogRecord[],
  undo: () => void,
): Promise<void> {
  if (records.length === 0) return;
  try {
    await next.consume(records);
  } catch (error) {
    undo();
    throw error;
  }
}

/** Attribute names of a summary: how many, and the first and last time seen. */
export interface TallyNames {
  count: string;
  first: string;
  last: string;
}

/** A summary record: the template record with the tally and its time span added. */
export function tallyRecord(
  template: LogRecord,
  names: TallyNames,
  count: number,
  first: bigint,
  last: bigint,
): LogRecord {
  return {
    ...template,
    attributes: {
      ...template.attributes,
      [names.count]: count,
      [names.first]: nanosToIso(first),
      [names.last]: nanosToIso(last),
    },
  };
}
