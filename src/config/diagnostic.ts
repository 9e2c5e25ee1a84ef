export interface SourceLocation {
  file: string;
  line: number;
  col: number;
  /** Set when the value came from `${env:…}`/`${file:…}`: the reference, shown instead of the value. */
  reference?: string;
}

export type PathSegment = string | number;

export interface Diagnostic {
  severity: "error" | "warning";
  location?: SourceLocation;
  path: PathSegment[];
  message: string;
}

export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out ? `.${segment}` : segment;
  }
  return out;
}

/** `file:line:col path: message`, the shape editors and CI annotations recognise. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.location ? `${d.location.file}:${d.location.line}:${d.location.col} ` : "";
  const path = d.path.length ? `${formatPath(d.path)}: ` : "";
  const prefix = d.severity === "warning" ? "warning: " : "";
  return `${where}${prefix}${path}${d.message}`;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join("\n"));
  }
}
