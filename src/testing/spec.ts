import { z } from "zod";

const expectedRecord = z
  .strictObject({
    body: z.unknown().optional().describe("the body, compared deeply"),
    attributes: z.record(z.string(), z.unknown()).optional(),
    resource: z.record(z.string(), z.unknown()).optional().describe("resource attributes"),
    severity_number: z.number().int().optional(),
    severity_text: z.string().optional(),
    event_name: z.string().optional(),
    trace_id: z.string().optional(),
    span_id: z.string().optional(),
  })
  .describe("fields not given are not compared");

const expectedPoint = z.strictObject({
  name: z.string(),
  attributes: z.record(z.string(), z.unknown()).default({}),
  value: z.number().optional().describe("sum/gauge value, or histogram count"),
});

const expectation = z
  .strictObject({
    count: z.number().int().nonnegative().optional().describe("log records or data points"),
    none: z.boolean().optional().describe("true: the exporter receives nothing"),
    records: z.array(expectedRecord).optional().describe("exactly these records, in order"),
    contains: z.array(expectedRecord).optional().describe("each matches some record"),
    metrics: z.array(expectedPoint).optional().describe("each matches some data point"),
  })
  .refine((e) => Object.keys(e).length > 0, "give count, none, records, contains or metrics");

const input = z
  .strictObject({
    receiver: z.string().optional().describe("inject as if this receiver had received it"),
    pipeline: z.string().optional().describe("inject at the head of this pipeline"),
    records: z.array(z.unknown()).optional().describe("payloads as the source sends them"),
    file: z.string().optional().describe("NDJSON file of payloads, relative to the test file"),
    otlp: z
      .record(z.string(), z.unknown())
      .optional()
      .describe("an OTLP/JSON ExportLogsServiceRequest"),
  })
  .refine((i) => (i.receiver === undefined) !== (i.pipeline === undefined), {
    message: "give exactly one of receiver or pipeline",
  })
  .refine((i) => [i.records, i.file, i.otlp].filter((x) => x !== undefined).length === 1, {
    message: "give exactly one of records, file or otlp",
  });

export const testCaseSchema = z.strictObject({
  name: z.string().min(1),
  input,
  expect: z.record(z.string(), expectation).describe("exporter ID → what it must receive"),
});

export const testFileSchema = z.strictObject({ tests: z.array(testCaseSchema).min(1) });

export type TestCase = z.output<typeof testCaseSchema>;
export type Expectation = z.output<typeof expectation>;
export type ExpectedRecord = z.output<typeof expectedRecord>;
