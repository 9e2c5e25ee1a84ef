import type { AnyValue } from "../../pdata/value.js";
import { isPlainObject } from "../../pdata/value.js";
import { MappingError, type Payload } from "./mapping.js";

function typeName(value: AnyValue): string {
  if (Array.isArray(value)) return "an array";
  if (value instanceof Uint8Array) return "bytes";
  if (isPlainObject(value)) return "an object";
  return `a ${typeof value}`;
}

/**
 * Typed reads from a payload that name the field on failure (`surface.api.method: expected a
 * string, got an object`). JSON null counts as absent, as most vendors write it that way.
 */
export class Reader {
  /**
   * The reader of the enclosing object and this object's key in it: the dotted path is spelled
   * out only when an error names it, so the common, valid payload never pays for the text.
   */
  constructor(
    readonly value: Payload,
    private readonly parent?: Reader,
    private readonly key = "",
  ) {}

  private path(key: string): string {
    const prefix = this.parent ? this.parent.path(this.key) : this.key;
    return prefix ? `${prefix}.${key}` : key;
  }

  raw(key: string): AnyValue | undefined {
    const value = this.value[key];
    return value === null ? undefined : value;
  }

  /** Scalars are accepted as text (an id may arrive as a number); objects and lists are not. */
  str(key: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
      return String(value);
    throw new MappingError(`${this.path(key)}: expected a string, got ${typeName(value)}`);
  }

  num(key: string): number | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value === "number" && Number.isFinite(value)) return value;
    if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
      return Number(value);
    throw new MappingError(
      `${this.path(key)}: expected a number, got ${typeof value === "string" ? JSON.stringify(value) : typeName(value)}`,
    );
  }

  bool(key: string): boolean | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value === "boolean") return value;
    if (value === "true" || value === "false") return value === "true";
    throw new MappingError(`${this.path(key)}: expected true or false, got ${typeName(value)}`);
  }

  obj(key: string): Reader | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (isPlainObject(value)) return new Reader(value, this, key);
    throw new MappingError(`${this.path(key)}: expected an object, got ${typeName(value)}`);
  }

  /** A list of scalars as strings; a single string counts as a list of one. */
  strs(key: string): string[] | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value === "string") return [value];
    if (!Array.isArray(value))
      throw new MappingError(`${this.path(key)}: expected a list, got ${typeName(value)}`);
    return value.map((item, i) => {
      if (typeof item === "string" || typeof item === "number" || typeof item === "boolean")
        return String(item);
      throw new MappingError(
        `${this.path(key)}[${i}]: expected a string, got ${item === null ? "null" : typeName(item)}`,
      );
    });
  }

  /** A list of objects (e.g. OCSF resources[]). */
  objs(key: string): Reader[] | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (!Array.isArray(value))
      throw new MappingError(`${this.path(key)}: expected a list, got ${typeName(value)}`);
    return value.map((item, i) => {
      if (isPlainObject(item)) return new Reader(item, undefined, `${this.path(key)}[${i}]`);
      throw new MappingError(
        `${this.path(key)}[${i}]: expected an object, got ${item === null ? "null" : typeName(item)}`,
      );
    });
  }

  /** Reads a field as a time; the error names the field. */
  time(key: string, parse: (value: AnyValue) => bigint): bigint | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    try {
      return parse(value);
    } catch (error) {
      throw new MappingError(`${this.path(key)}: ${(error as Error).message}`);
    }
  }
}
