import { type FSWatcher, watch } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { Logger } from "pino";
import { errorMessage } from "../component/errors.js";

/** Editors and Kubernetes write a file in several steps; one reload follows the last of them. */
const RELOAD_DEBOUNCE_MS = 500;

/**
 * Watches the folders of the config files rather than the files: editors save by renaming a new
 * file over the old one, and Kubernetes swaps a ConfigMap volume's `..data` symlink, both of which
 * a watch on the file itself misses.
 */
export function watchConfigFiles(
  files: string[],
  logger: Logger,
  onChange: () => void,
): () => void {
  const names = new Map<string, Set<string>>();
  for (const file of files.map((f) => resolve(f))) {
    names.set(dirname(file), (names.get(dirname(file)) ?? new Set()).add(basename(file)));
  }
  let timer: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [];
  for (const [dir, watched] of names) {
    try {
      const watcher = watch(dir, (_event, name) => {
        if (name && !watched.has(name) && !name.startsWith("..")) return;
        clearTimeout(timer);
        timer = setTimeout(onChange, RELOAD_DEBOUNCE_MS);
      });
      watcher.on("error", (error) =>
        logger.warn({ dir, err: errorMessage(error) }, "config watch failed; SIGHUP still reloads"),
      );
      watchers.push(watcher);
    } catch (error) {
      logger.warn({ dir, err: errorMessage(error) }, "cannot watch config files; SIGHUP reloads");
    }
  }
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
