import { z } from "zod";
import { duration } from "../../config/duration.js";
import { deadLetterSchema } from "../internal/dead-letter.js";

const MIB = 1024 * 1024;

const glob = z.string().min(1);

export const retrySchema = z
  .strictObject({
    initial_interval: duration
      .prefault("1s")
      .describe("wait after the first refusal before offering the same lines again"),
    max_interval: duration
      .prefault("30s")
      .describe("longest wait between offers; the wait doubles up to this"),
  })
  .describe("how a refused batch is retried; lines are never skipped");

export const fileReceiverConfigSchema = z.strictObject({
  include: z
    .array(glob)
    .min(1)
    .describe("globs of NDJSON files to tail; relative ones resolve against the config folder"),
  exclude: z.array(glob).default([]).describe("globs of files to leave alone, even if included"),
  start_at: z
    .enum(["end", "beginning"])
    .default("end")
    .describe(
      "where to start in files found at startup without a checkpoint; later files are read whole",
    ),
  poll_interval: duration.prefault("200ms").describe("how often to look for files and new lines"),
  max_line_size: z
    .number()
    .int()
    .positive()
    .default(MIB)
    .describe("longest line in bytes; longer lines are rejected (first max_line_size bytes kept)"),
  max_depth: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(32)
    .describe("deepest object/array nesting in one line's object (the object itself is 1)"),
  max_batch: z
    .number()
    .int()
    .positive()
    .default(1000)
    .describe("most lines handed downstream at once"),
  fingerprint_size: z
    .number()
    .int()
    .positive()
    .default(1000)
    .describe("bytes at the start of a file that, with device and inode, identify it"),
  storage: z
    .string()
    .min(1)
    .optional()
    .describe("directory for offset checkpoints; omit to keep them in memory only"),
  include_file_name: z
    .boolean()
    .default(true)
    .describe("add the file's name as attribute log.file.name"),
  include_file_path: z
    .boolean()
    .default(false)
    .describe("add the file's absolute path as attribute log.file.path"),
  retry_on_failure: retrySchema.prefault({}).describe("how refused lines are retried"),
  dead_letter: deadLetterSchema
    .optional()
    .describe("append rejected lines, raw, to a file; omit to log and count them only"),
});

export type FileReceiverConfig = z.output<typeof fileReceiverConfigSchema>;
