import { z } from "zod";

export const rotationSchema = z
  .strictObject({
    max_megabytes: z
      .number()
      .positive()
      .default(100)
      .describe("Size in MiB at which the file is rotated before the next line is written"),
    max_backups: z
      .number()
      .int()
      .min(0)
      .default(100)
      .describe("Rotated files to keep, oldest deleted first; 0 keeps them all"),
  })
  .describe("Rotate the file by size, like the Collector's lumberjack-based rotation");

export const fileConfigSchema = z
  .strictObject({
    path: z
      .string()
      .min(1)
      .describe("File to append to; a relative path resolves against the config file's folder"),
    rotation: rotationSchema.optional().describe("Omit to never rotate"),
    format: z
      .enum(["json"])
      .default("json")
      .describe("json: one OTLP/JSON Export*ServiceRequest per line"),
  })
  .describe(
    "Appends every batch to a file as one line of OTLP/JSON, like the Collector's file exporter.",
  );

export type FileConfig = z.output<typeof fileConfigSchema>;
export type RotationConfig = z.output<typeof rotationSchema>;
