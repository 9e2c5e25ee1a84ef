import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RetryableError } from "../../../src/component/errors.js";
import { HttpClient } from "../../../src/exporters/internal/http.js";

let dir = "";
let server: Server;
let url = "";
/** Bytes that are not valid UTF-8, so a text read would change them. */
const BINARY = Buffer.from([0x0a, 0xff, 0x00, 0xfe, 0x80]);

/** Runs `openssl` in the test folder; arguments are separated by single spaces. */
function openssl(command: string): void {
  execFileSync("openssl", command.split(" "), { cwd: dir, stdio: "pipe" });
}

/** One CA signing a server certificate for 127.0.0.1 and a client certificate. */
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tripline-http-client-"));
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1\n");
  const key = "-newkey rsa:2048 -nodes -days 1";
  openssl(`req -x509 ${key} -subj /CN=ca -keyout ca.key -out ca.crt`);
  for (const name of ["server", "client"]) {
    openssl(`req ${key} -subj /CN=${name} -keyout ${name}.key -out ${name}.csr`);
    const ext = name === "server" ? " -extfile server.ext" : "";
    openssl(
      `x509 -req -in ${name}.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -out ${name}.crt${ext}`,
    );
  }
  const read = (name: string) => readFileSync(join(dir, name));
  // The server insists on a client certificate signed by the CA: mutual TLS.
  server = createServer(
    {
      key: read("server.key"),
      cert: read("server.crt"),
      ca: read("ca.crt"),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      res.setHeader("content-type", "application/x-protobuf");
      res.end(req.url === "/text" ? "plain answer" : BINARY);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 30_000);

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function client(files: Record<string, string>): HttpClient {
  const tls = { insecure_skip_verify: false, ...files };
  return new HttpClient({ headers: {}, tls, userAgent: "test", configDir: dir });
}

describe("exporter HTTP client", () => {
  it("presents cert_file/key_file for mutual TLS and returns bodies as bytes or text", async () => {
    const http = client({ ca_file: "ca.crt", cert_file: "client.crt", key_file: "client.key" });
    await http.open();
    try {
      const bytes = await http.requestBytes("POST", `${url}/bytes`, { body: "x" });
      expect(bytes.status).toBe(200);
      expect(bytes.body).toEqual(BINARY);
      const text = await http.request("GET", `${url}/text`, {});
      expect(text.body).toBe("plain answer");
    } finally {
      await http.close();
    }
  });

  it("fails retryably when the server wants a client certificate and none is set", async () => {
    const http = client({ ca_file: "ca.crt" });
    await http.open();
    try {
      await expect(http.requestBytes("POST", `${url}/bytes`, { body: "x" })).rejects.toThrow(
        RetryableError,
      );
    } finally {
      await http.close();
    }
  });

  it("names the option whose file cannot be read", async () => {
    const http = client({ ca_file: "ca.crt", cert_file: "client.crt", key_file: "missing.key" });
    await expect(http.open()).rejects.toThrow(
      `tls.key_file: cannot read ${join(dir, "missing.key")} (ENOENT)`,
    );
  });
});
