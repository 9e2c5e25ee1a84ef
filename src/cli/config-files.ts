/** `-c` wins over TRIPLINE_CONFIG, which may hold several files separated by commas. */
export function configFiles(flags: string[] | undefined, env = process.env): string[] {
  if (flags && flags.length > 0) return flags;
  return (env.TRIPLINE_CONFIG ?? "")
    .split(",")
    .map((f) => f.trim())
    .filter(Boolean);
}
