import { createHash, createHmac, type Hmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { DetectionsAuthConfig } from "./config.js";

/**
 * What the headers alone decide: pass, refuse (401 missing / 403 wrong), or a signature that
 * can only be checked once the body has been read.
 */
export type AuthStart =
  | { kind: "pass" }
  | { kind: "refuse"; status: 401 | 403 }
  | { kind: "signature"; check: SignatureCheck };

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;
const UNIX_SECONDS = /^\d{1,12}$/;

function sha256(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** HMAC-SHA256 over the body bytes exactly as sent (before decompression), fed chunk by chunk. */
export class SignatureCheck {
  private readonly hmac: Hmac;

  constructor(
    secret: string,
    private readonly presented: Buffer,
    timestamp: string | undefined,
  ) {
    this.hmac = createHmac("sha256", secret);
    if (timestamp !== undefined) this.hmac.update(`${timestamp}.`);
  }

  update(chunk: Buffer): void {
    this.hmac.update(chunk);
  }

  verify(): boolean {
    return timingSafeEqual(this.hmac.digest(), this.presented);
  }
}

/**
 * Bearer tokens and webhook signatures. A request passes with any one configured method.
 * Answers never say which part failed: 401 when no credentials came, 403 when they are wrong.
 */
export class Authenticator {
  /** Digests, so every comparison is over equal lengths whatever the token lengths are. */
  private readonly tokenDigests: Buffer[];

  constructor(
    private readonly config: DetectionsAuthConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.tokenDigests = (config.bearer_tokens ?? []).map(sha256);
  }

  /** The header to send with a 401, naming the expected scheme. */
  get challenge(): string | undefined {
    return this.config.bearer_tokens ? "Bearer" : undefined;
  }

  start(headers: IncomingHttpHeaders): AuthStart {
    const authorization = this.tokenDigests.length ? header(headers, "authorization") : undefined;
    if (authorization !== undefined && this.tokenMatches(authorization)) return { kind: "pass" };

    const hmac = this.config.hmac;
    const signature = hmac ? header(headers, hmac.header) : undefined;
    const timestamp = hmac?.timestamp_header ? header(headers, hmac.timestamp_header) : undefined;
    const signed =
      hmac !== undefined &&
      signature !== undefined &&
      (hmac.timestamp_header === undefined || timestamp !== undefined);

    if (!signed) return { kind: "refuse", status: authorization !== undefined ? 403 : 401 };
    const match = SIGNATURE.exec(signature.trim());
    if (!match) return { kind: "refuse", status: 403 };
    if (hmac.timestamp_header !== undefined && !this.timestampFresh(timestamp!, hmac.max_skew)) {
      return { kind: "refuse", status: 403 };
    }
    return {
      kind: "signature",
      check: new SignatureCheck(hmac.secret, Buffer.from(match[1]!, "hex"), timestamp),
    };
  }

  private tokenMatches(authorization: string): boolean {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (!match) return false;
    const presented = sha256(match[1]!);
    let ok = false;
    // No early exit: the time taken must not depend on which token matched.
    for (const digest of this.tokenDigests) ok = timingSafeEqual(presented, digest) || ok;
    return ok;
  }

  private timestampFresh(timestamp: string, maxSkewMs: number): boolean {
    if (!UNIX_SECONDS.test(timestamp)) return false;
    return Math.abs(this.now() - Number(timestamp) * 1000) <= maxSkewMs;
  }
}
