import { z } from "zod";

const MESSAGE = 'expected "host:port" such as "localhost:8088" or "0.0.0.0:8088"';

export interface HostPort {
  host: string;
  port: number;
}

/** Splits "host:port" and "[::1]:port"; undefined when it is not one. */
export function parseHostPort(value: string): HostPort | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]*)):(\d{1,5})$/.exec(value);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  return { host: match[1] ?? match[2] ?? "", port };
}

/** A listen or connect address. An empty host means every interface, so it is spelt out. */
export const hostPort = z
  .string()
  .refine((v) => {
    const parsed = parseHostPort(v);
    return parsed !== undefined && parsed.host !== "";
  }, MESSAGE)
  .describe('listen address "host:port"');
