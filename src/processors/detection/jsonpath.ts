import type { AnyValue } from "../../pdata/value.js";
import { isPlainObject } from "../../pdata/value.js";

/** One step of a path: an object key or a list index. */
export type PathStep = string | number;

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*/;

/**
 * Parses the JSONPath subset the generic preset needs: `$`, `.name`, `[0]`, `["x.y"]` and
 * `['x.y']`. Written by hand because no JSONPath library is a dependency and these four forms
 * need a few lines; filters, wildcards and recursion are not supported on purpose (a field
 * maps to one value). Throws an Error naming the position of the first problem.
 */
export function parsePath(path: string): PathStep[] {
  if (!path.startsWith("$"))
    throw new Error(`a path starts with "$" (got ${JSON.stringify(path)})`);
  const steps: PathStep[] = [];
  let i = 1;
  const fail = (what: string): never => {
    throw new Error(`${what} at position ${i} of ${JSON.stringify(path)}`);
  };
  while (i < path.length) {
    const c = path[i];
    if (c === ".") {
      const name = NAME.exec(path.slice(i + 1)) ?? fail('expected a name after "."');
      steps.push(name[0]);
      i += 1 + name[0].length;
    } else if (c === "[") {
      const rest = path.slice(i + 1);
      const index = /^(\d+)\]/.exec(rest);
      if (index) {
        steps.push(Number(index[1]));
        i += 1 + index[0].length;
        continue;
      }
      const quote = rest[0];
      if (quote !== '"' && quote !== "'") fail('expected an index or a quoted key after "["');
      let key = "";
      let j = 1;
      for (; j < rest.length && rest[j] !== quote; j++) {
        if (rest[j] === "\\" && j + 1 < rest.length) j++;
        key += rest[j];
      }
      if (rest[j] !== quote || rest[j + 1] !== "]") fail(`unterminated [${quote}…${quote}]`);
      steps.push(key);
      i += 1 + j + 2;
    } else {
      fail(`unexpected ${JSON.stringify(c)}`);
    }
  }
  return steps;
}

/** The value at `steps`, or undefined when any step is missing (JSON null counts as missing). */
export function valueAt(root: AnyValue, steps: readonly PathStep[]): AnyValue | undefined {
  let current: AnyValue | undefined = root;
  for (const step of steps) {
    if (typeof step === "number") {
      if (!Array.isArray(current)) return undefined;
      current = current[step];
    } else {
      if (!isPlainObject(current)) return undefined;
      current = Object.hasOwn(current, step) ? current[step] : undefined;
    }
    if (current === undefined || current === null) return undefined;
  }
  return current;
}
