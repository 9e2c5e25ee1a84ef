import { readFile } from "node:fs/promises";
import type { ServerOptions } from "node:https";
import path from "node:path";
import { z } from "zod";

/** Server-side TLS with the Collector's `configtls` option names. */
export const tlsServerSchema = z
  .strictObject({
    cert_file: z.string().min(1).describe("PEM certificate (chain) the server presents"),
    key_file: z.string().min(1).describe("PEM private key of cert_file"),
    client_ca_file: z
      .string()
      .min(1)
      .optional()
      .describe("PEM CA bundle; when set, clients must present a certificate it signed (mTLS)"),
    min_version: z.enum(["1.2", "1.3"]).default("1.2").describe("lowest TLS version accepted"),
  })
  .describe("serve HTTPS; omit for plain HTTP");

export type TlsServerConfig = z.output<typeof tlsServerSchema>;

async function readPem(option: string, file: string, configDir: string): Promise<Buffer> {
  const resolved = path.resolve(configDir, file);
  try {
    return await readFile(resolved);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    // Only the path and errno: the file's content may be a private key.
    throw new Error(`tls.${option}: cannot read ${resolved} (${code})`);
  }
}

/** Reads the PEM files (relative paths against the config folder) into node:https options. */
export async function loadTlsServerOptions(
  config: TlsServerConfig,
  configDir: string,
): Promise<ServerOptions> {
  const options: ServerOptions = {
    cert: await readPem("cert_file", config.cert_file, configDir),
    key: await readPem("key_file", config.key_file, configDir),
    minVersion: config.min_version === "1.3" ? "TLSv1.3" : "TLSv1.2",
  };
  if (config.client_ca_file) {
    options.ca = await readPem("client_ca_file", config.client_ca_file, configDir);
    options.requestCert = true;
    options.rejectUnauthorized = true;
  }
  return options;
}
