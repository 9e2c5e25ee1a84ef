import { z } from "zod";
import { hostPort } from "../../config/endpoint.js";

export const detectionsConfigSchema = z.strictObject({
  endpoint: hostPort
    .default("localhost:8088")
    .describe('listen address; "0.0.0.0:8088" to accept from other hosts (e.g. in a container)'),
  path: z
    .string()
    .regex(/^\/[^\s?#]*$/, 'expected a URL path starting with "/"')
    .default("/v1/detections")
    .describe("the URL path that accepts POSTs"),
  max_request_body_size: z
    .number()
    .int()
    .positive()
    .default(10 * 1024 * 1024)
    .describe("largest request body in bytes, after decompression; larger requests get 413"),
});

export type DetectionsConfig = z.output<typeof detectionsConfigSchema>;
