// SigV4 verification against requests signed by @smithy/signature-v4 (the signer inside
// every AWS SDK for JavaScript) and AWS's published "get-vanilla" test vector.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AuthFailureReason } from "./auth-errors.ts";
import { ReplayCache } from "./replay-cache.ts";
import { canonicalQueryString, canonicalUri } from "./sigv4-canonical.ts";
import { parseSigV4Authorization } from "./sigv4-parse.ts";
import { SigV4Verifier, type AuthRequest, type SigV4Result } from "./sigv4.ts";

const KEY = { accessKeyId: "BKIATESTTESTTEST0001", secretAccessKey: "s3cr3t/KEY+with/symbols0123456789abcdefgh" };
const NOW = Date.UTC(2026, 10, 22, 10, 15, 0);

interface SignOptions {
  method?: string;
  path?: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string;
  region?: string;
  service?: string;
  at?: number;
  secret?: string;
  h2?: boolean;
  /** Sign without an x-amz-content-sha256 header (the server then hashes the body). */
  noPayloadHeader?: boolean;
  unsignable?: string[];
}

/** Signs as the SDK does and returns what the server would see on the wire. */
async function signed(options: SignOptions = {}): Promise<AuthRequest> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: KEY.accessKeyId, secretAccessKey: options.secret ?? KEY.secretAccessKey },
    region: options.region ?? "us-east-1",
    service: options.service ?? "bedrock",
    sha256: Hash.bind(null, "sha256"),
    applyChecksum: !options.noPayloadHeader,
  });
  const authority = options.h2 ? { ":authority": "127.0.0.1:8080" } : { host: "127.0.0.1:8080" };
  const body = options.body ?? "";
  const path = options.path ?? "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse";
  const request = {
    method: options.method ?? "POST",
    protocol: "http:",
    hostname: "127.0.0.1",
    port: 8080,
    path,
    query: options.query ?? {},
    headers: { ...authority, "content-type": "application/json", ...options.headers },
    body: body || undefined,
  };
  const out = await signer.sign(request as never, { signingDate: new Date(options.at ?? NOW), unsignableHeaders: new Set(options.unsignable) });
  const query = Object.entries(options.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(x)}`))
    .join("&");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(out.headers)) headers[name.toLowerCase()] = String(value);
  return { method: request.method, url: query ? `${path}?${query}` : path, headers, body: Buffer.from(body) };
}

function verifier(options: { now?: number; region?: string } = {}): SigV4Verifier {
  return new SigV4Verifier({
    region: options.region ?? "us-east-1",
    lookupSecret: (id) => (id === KEY.accessKeyId ? KEY.secretAccessKey : undefined),
    now: () => options.now ?? NOW,
  });
}

function assertFailure(result: SigV4Result, reason: AuthFailureReason, name: string, message?: RegExp): void {
  assert.equal(result.ok, false, "expected a failure");
  if (result.ok) return;
  assert.equal(result.reason, reason);
  assert.equal(result.error.name, name);
  if (message) assert.match(result.error.message, message);
  assert.ok(!result.error.message.includes(KEY.secretAccessKey), "the secret never appears in an error");
}

const BODY = JSON.stringify({ messages: [{ role: "user", content: [{ text: "Hello" }] }] });

describe("SigV4Verifier", () => {
  it("matches AWS's get-vanilla test vector", async () => {
    const v = new SigV4Verifier({
      region: "us-east-1",
      service: "service",
      lookupSecret: () => "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
      now: () => Date.UTC(2015, 7, 30, 12, 36, 0),
    });
    const result = await v.verify({
      method: "GET",
      url: "/",
      headers: {
        host: "example.amazonaws.com",
        "x-amz-date": "20150830T123600Z",
        authorization:
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
      },
      body: Buffer.alloc(0),
    });
    assert.deepEqual(result, { ok: true, accessKeyId: "AKIDEXAMPLE" });
  });

  it("accepts an SDK-signed request over HTTP/1.1 (host) and HTTP/2 (:authority)", async () => {
    const v = verifier();
    assert.deepEqual(await v.verify(await signed({ body: BODY })), { ok: true, accessKeyId: KEY.accessKeyId });
    const h2 = await signed({ body: BODY, h2: true });
    assert.match(h2.headers.authorization as string, /SignedHeaders=:authority;/);
    assert.deepEqual(await v.verify(h2), { ok: true, accessKeyId: KEY.accessKeyId });
  });

  it("hashes the body itself when the client sends no x-amz-content-sha256", async () => {
    const request = await signed({ body: BODY, noPayloadHeader: true });
    assert.equal(request.headers["x-amz-content-sha256"], undefined);
    assert.deepEqual(await verifier().verify(request), { ok: true, accessKeyId: KEY.accessKeyId });
  });

  it("accepts a GET with a sorted, re-encoded query and an ARN in the path", async () => {
    const request = await signed({
      method: "GET",
      path: "/foundation-models/arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fmeta.llama3",
      query: { byProvider: "Meta AI", byOutputModality: "TEXT", "a*b": ["z", "y (1)"] },
    });
    assert.deepEqual(await verifier().verify(request), { ok: true, accessKeyId: KEY.accessKeyId });
  });

  it("builds canonical URIs and queries as AWS does", () => {
    assert.equal(canonicalUri("/model/anthropic.claude-v2%3A1/invoke"), "/model/anthropic.claude-v2%253A1/invoke");
    assert.equal(canonicalUri("/a/./b/../c//d/"), "/a/c/d/");
    assert.equal(canonicalUri("/"), "/");
    assert.equal(canonicalQueryString("b=2&a=%20x&a=1&c"), "a=%20x&a=1&b=2&c=");
  });

  it("parses the Authorization header and names what is missing", () => {
    const parsed = parseSigV4Authorization(`AWS4-HMAC-SHA256 Credential=AK/20261122/us-east-1/bedrock/aws4_request,SignedHeaders=host;x-amz-date,Signature=${"a".repeat(64)}`);
    assert.ok(!("ok" in parsed));
    assert.equal(parsed.scope, "20261122/us-east-1/bedrock/aws4_request");
    const missing = parseSigV4Authorization("AWS4-HMAC-SHA256 Credential=AK/20261122/us-east-1/bedrock/aws4_request");
    assert.ok("ok" in missing);
    assert.equal(missing.error.name, "IncompleteSignatureException");
    assert.match(missing.error.message, /requires 'SignedHeaders' parameter\. .*requires 'Signature' parameter/);
  });

  const failures: Array<{ name: string; build: () => Promise<AuthRequest>; verifier?: () => SigV4Verifier; reason: AuthFailureReason; error: string; message?: RegExp }> = [
    { name: "wrong secret", build: () => signed({ body: BODY, secret: "not-the-secret" }), reason: "signature-mismatch", error: "InvalidSignatureException", message: /does not match/ },
    {
      name: "unknown access key",
      build: async () => {
        const r = await signed({ body: BODY });
        r.headers.authorization = (r.headers.authorization as string).replace(KEY.accessKeyId, "BKIAUNKNOWNUNKNOWN00");
        return r;
      },
      reason: "unknown-key",
      error: "UnrecognizedClientException",
      message: /security token included in the request is invalid/,
    },
    { name: "altered body", build: async () => ({ ...(await signed({ body: BODY })), body: Buffer.from(BODY.replace("Hello", "Jello")) }), reason: "payload-mismatch", error: "InvalidSignatureException" },
    {
      name: "altered body without a payload hash header",
      build: async () => ({ ...(await signed({ body: BODY, noPayloadHeader: true })), body: Buffer.from(BODY.replace("Hello", "Jello")) }),
      reason: "signature-mismatch",
      error: "InvalidSignatureException",
    },
    {
      name: "altered path",
      build: async () => ({ ...(await signed({ body: BODY })), url: "/model/other-model/converse" }),
      reason: "signature-mismatch",
      error: "InvalidSignatureException",
    },
    { name: "expired date", build: () => signed({ body: BODY, at: NOW - 16 * 60_000 }), reason: "expired", error: "InvalidSignatureException", message: /^Signature expired: 20261122T095900Z is now earlier than 20261122T100000Z \(20261122T101500Z - 15 min\.\)$/ },
    { name: "date in the future", build: () => signed({ body: BODY, at: NOW + 16 * 60_000 }), reason: "not-yet-valid", error: "InvalidSignatureException", message: /not yet current/ },
    { name: "wrong region", build: () => signed({ body: BODY, region: "eu-west-1" }), reason: "wrong-region", error: "InvalidSignatureException", message: /not 'eu-west-1'.*'us-east-1'/ },
    { name: "wrong service", build: () => signed({ body: BODY, service: "s3" }), reason: "wrong-service", error: "InvalidSignatureException", message: /'bedrock'/ },
    { name: "an unsigned x-amz-date", build: () => signed({ body: BODY, unsignable: ["x-amz-date"] }), reason: "malformed", error: "IncompleteSignatureException", message: /X-Amz-Date/ },
    { name: "an unsigned host", build: () => signed({ body: BODY, unsignable: ["host"] }), reason: "malformed", error: "IncompleteSignatureException", message: /'Host' or ':authority'/ },
    { name: "no Authorization header", build: async () => ({ method: "GET", url: "/", headers: {}, body: Buffer.alloc(0) }), reason: "missing", error: "MissingAuthenticationTokenException" },
    {
      name: "SigV4a",
      build: async () => ({ method: "GET", url: "/", headers: { authorization: "AWS4-ECDSA-P256-SHA256 Credential=x" }, body: Buffer.alloc(0) }),
      reason: "malformed",
      error: "IncompleteSignatureException",
    },
    { name: "a session token", build: () => signed({ body: BODY, headers: { "x-amz-security-token": "FwoG" } }), reason: "session-token", error: "UnrecognizedClientException" },
    { name: "UNSIGNED-PAYLOAD", build: () => signed({ body: BODY, headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } }), reason: "unsigned-payload", error: "InvalidSignatureException" },
    {
      name: "scope date that disagrees with x-amz-date",
      build: async () => {
        const r = await signed({ body: BODY });
        r.headers.authorization = (r.headers.authorization as string).replace("/20261122/", "/20261121/");
        return r;
      },
      reason: "scope-date",
      error: "InvalidSignatureException",
    },
  ];
  for (const c of failures) {
    it(`refuses ${c.name}`, async () => {
      assertFailure(await (c.verifier ?? verifier)().verify(await c.build()), c.reason, c.error, c.message);
    });
  }

  it("refuses a replayed signature within the skew window, and forgets it after", async () => {
    let now = NOW;
    const cache = new ReplayCache({ now: () => now });
    const v = new SigV4Verifier({ region: "us-east-1", lookupSecret: () => KEY.secretAccessKey, now: () => now, replayGuard: cache });
    const request = await signed({ body: BODY });
    assert.equal((await v.verify(request)).ok, true);
    assertFailure(await v.verify(request), "replayed", "InvalidSignatureException", /already been used/);
    now += 16 * 60_000;
    assertFailure(await v.verify(request), "expired", "InvalidSignatureException");
    assert.equal((await v.verify(await signed({ body: BODY, at: now }))).ok, true);
    assert.equal(cache.size, 1, "the expired entry was swept");
  });

  it("bounds the replay cache", () => {
    const cache = new ReplayCache({ maxEntries: 3, now: () => 0 });
    for (const s of ["a", "b", "c", "d"]) assert.equal(cache.checkAndRecord(s, 1000), false);
    assert.equal(cache.size, 3);
    assert.equal(cache.checkAndRecord("d", 1000), true);
    assert.equal(cache.checkAndRecord("a", 1000), false, "the oldest was evicted");
  });

  it("detects the credential scheme", () => {
    assert.equal(SigV4Verifier.isSigV4({ authorization: "AWS4-HMAC-SHA256 Credential=x" }), true);
    assert.equal(SigV4Verifier.isSigV4({ authorization: "Bearer basalt_x" }), false);
  });
});
