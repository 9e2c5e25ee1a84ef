import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Started, send, startReceiver } from "./harness.js";

const BODY = JSON.stringify({ detection_id: "d-1" });
let dir = "";

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

/** Two CAs; a server certificate for 127.0.0.1 and a client certificate from each CA. */
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tripline-tls-"));
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1\n");
  for (const ca of ["ca", "rogue-ca"]) {
    openssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      `/CN=${ca}`,
      "-keyout",
      `${ca}.key`,
      "-out",
      `${ca}.crt`,
    );
  }
  const issue = (name: string, ca: string, extra: string[] = []) => {
    openssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
    );
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.crt`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-days",
      "1",
      "-out",
      `${name}.crt`,
      ...extra,
    );
  };
  issue("server", "ca", ["-extfile", "server.ext"]);
  issue("client", "ca");
  issue("rogue-client", "rogue-ca");
}, 30_000);

const file = (name: string) => readFileSync(join(dir, name));

let started: Started | undefined;
afterEach(async () => {
  await started?.receiver.shutdown();
  started = undefined;
});

describe("detections receiver: TLS", () => {
  it("serves HTTPS with the configured certificate", async () => {
    started = await startReceiver(
      { tls: { cert_file: "server.crt", key_file: "server.key" } },
      dir,
    );
    expect(started.url.startsWith("https://")).toBe(true);
    const reply = await send(started.url, BODY, {}, { ca: file("ca.crt") });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ accepted: 1 });
    // A client that does not trust the CA refuses the server.
    await expect(send(started.url, BODY)).rejects.toThrow(
      /self.signed|unable to verify|certificate/i,
    );
  });

  it("with client_ca_file, requires a client certificate signed by that CA", async () => {
    started = await startReceiver(
      { tls: { cert_file: "server.crt", key_file: "server.key", client_ca_file: "ca.crt" } },
      dir,
    );
    const { url, sink } = started;
    const ok = await send(
      url,
      BODY,
      {},
      { ca: file("ca.crt"), cert: file("client.crt"), key: file("client.key") },
    );
    expect(ok.status).toBe(200);
    await expect(send(url, BODY, {}, { ca: file("ca.crt") })).rejects.toThrow();
    const rogue = {
      ca: file("ca.crt"),
      cert: file("rogue-client.crt"),
      key: file("rogue-client.key"),
    };
    await expect(send(url, BODY, {}, rogue)).rejects.toThrow();
    expect(sink.records()).toHaveLength(1);
  });

  it("fails to start with a clear error when a file is missing, without its content", async () => {
    await expect(
      startReceiver({ tls: { cert_file: "server.crt", key_file: "missing.key" } }, dir),
    ).rejects.toThrow(/tls\.key_file: cannot read .*missing\.key \(ENOENT\)/);
  });
});
