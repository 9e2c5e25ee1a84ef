/**
 * Attribute and body values, shaped like OTLP's AnyValue but as plain JS so processors can
 * read and write them without wrapper objects. Integers and doubles share `number`; encoders
 * write an integral number as `intValue` and anything else as `doubleValue`.
 */
export type AnyValue =
  | string
  | number
  | boolean
  | bigint
  | Uint8Array
  | null
  | AnyValue[]
  | { [key: string]: AnyValue };

export type Attributes = Record<string, AnyValue>;

export function isPlainObject(value: unknown): value is Record<string, AnyValue> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array)
  );
}
