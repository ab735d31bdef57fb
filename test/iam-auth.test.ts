// SigV4 and bearer API keys driven by the real AWS SDK clients: the runtime client over h2c,
// the control-plane client over HTTP/1.1, on one DualProtocolListener whose handler runs
// src/iam's authenticate() and answers 200 or a Bedrock-style error.
import assert from "node:assert/strict";
import { request as h1Request } from "node:http";
import { connect as h2Connect } from "node:http2";
import { after, before, describe, it } from "node:test";
import { BedrockClient, GetFoundationModelCommand, ListFoundationModelsCommand } from "@aws-sdk/client-bedrock";
import { BedrockRuntimeClient, ConverseCommand, type BedrockRuntimeClientConfig } from "@aws-sdk/client-bedrock-runtime";
import { pino } from "pino";
import { DualProtocolListener } from "../src/api/protocol/listener.ts";
import { sendBedrockError } from "../src/api/protocol/errors.ts";
import { readBody, sendJson, type AnyRequest, type AnyResponse } from "../src/api/protocol/http.ts";
import { generateAccessKeyPair } from "../src/iam/access-keys.ts";
import { ApiKeyVerifier, generateApiKey, type ApiKeyRecord } from "../src/iam/api-keys.ts";
import { authenticate, type Credential } from "../src/iam/authenticate.ts";
import { SigV4Verifier } from "../src/iam/sigv4.ts";

const REGION = "us-east-1";
const MODEL = "anthropic.claude-3-haiku-20240307-v1:0";
const PEPPER = "test-pepper-0123456789abcdefghij";
const KEYS = generateAccessKeyPair();
const API_KEY = generateApiKey(PEPPER);
const EXPIRED_API_KEY = generateApiKey(PEPPER);

interface Seen {
  credential: Credential;
  httpVersion: string;
  url: string;
}

/** A signed request as the SDK holds it just before sending. */
interface TappedRequest {
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** Captures each signed request as it leaves the SDK (the deserialize step runs after signing). */
function tap(client: BedrockRuntimeClient | BedrockClient, onRequest: (request: TappedRequest) => void): void {
  const middleware = (next: (args: { request: unknown }) => Promise<unknown>) => async (args: { request: unknown }) => {
    onRequest(args.request as TappedRequest);
    return next(args);
  };
  const options = { step: "deserialize", name: "testTap" } as const;
  // The two clients' stacks have incompatible overloads, so each is called on its own type.
  if (client instanceof BedrockRuntimeClient) client.middlewareStack.add(middleware as never, options);
  else client.middlewareStack.add(middleware as never, options);
}

describe("IAM authentication with the AWS SDK", () => {
  let listener: DualProtocolListener;
  let endpoint: string;
  const seen: Seen[] = [];

  const handler = (req: AnyRequest, res: AnyResponse): void => {
    void (async () => {
      const body = await readBody(req, 1 << 20);
      const result = await authenticate(
        { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, body },
        {
          sigv4: verifier,
          apiKeys: new ApiKeyVerifier({ pepper: PEPPER, lookup: (id) => apiKeys.get(id) }),
        },
      );
      if (!result.ok) {
        sendBedrockError(res, result.error, "req-1");
        return;
      }
      seen.push({ credential: result.credential, httpVersion: req.httpVersion, url: req.url ?? "" });
      const path = (req.url ?? "").split("?")[0]!;
      if (path.endsWith("/converse")) {
        sendJson(res, 200, {
          output: { message: { role: "assistant", content: [{ text: `hello ${JSON.stringify(result.credential)}` }] } },
          stopReason: "end_turn",
          usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
          metrics: { latencyMs: 1 },
        });
      } else if (path === "/foundation-models") sendJson(res, 200, { modelSummaries: [] });
      else sendJson(res, 200, { modelDetails: { modelArn: `arn:aws:bedrock:${REGION}::foundation-model/${MODEL}`, modelId: MODEL } });
    })();
  };
  const verifier = new SigV4Verifier({ region: REGION, lookupSecret: (id) => (id === KEYS.accessKeyId ? KEYS.secretAccessKey : undefined) });
  const apiKeys = new Map<string, ApiKeyRecord>([
    [API_KEY.id, { id: API_KEY.id, hash: API_KEY.hash }],
    [EXPIRED_API_KEY.id, { id: EXPIRED_API_KEY.id, hash: EXPIRED_API_KEY.hash, expiresAt: Date.now() - 1000 }],
  ]);

  const runtime = (config: Partial<BedrockRuntimeClientConfig> = {}) => new BedrockRuntimeClient({ region: REGION, endpoint, credentials: KEYS, maxAttempts: 1, ...config });
  const control = (config: Partial<ConstructorParameters<typeof BedrockClient>[0]> = {}) => new BedrockClient({ region: REGION, endpoint, credentials: KEYS, maxAttempts: 1, ...config });
  const converse = (client: BedrockRuntimeClient, text = "Hello") => client.send(new ConverseCommand({ modelId: MODEL, messages: [{ role: "user", content: [{ text }] }] }));

  async function rejects(promise: Promise<unknown>, name: string, message?: RegExp): Promise<void> {
    await assert.rejects(promise, (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(error.name, name);
      if (message) assert.match(error.message, message);
      assert.equal(error.$metadata?.httpStatusCode, name === "IncompleteSignatureException" ? 400 : 403);
      return true;
    });
  }

  before(async () => {
    listener = new DualProtocolListener({ handler, logger: pino({ level: "silent" }), keepAliveTimeoutMs: 5000, inFlight: () => 0 });
    endpoint = `http://127.0.0.1:${await listener.listen(0, "127.0.0.1")}`;
  });
  after(() => listener.close(100));

  it("accepts real keys from the runtime client over HTTP/2, signing :authority", async () => {
    let signedHeaders = "";
    const client = runtime();
    tap(client, (r) => (signedHeaders = /SignedHeaders=([^,]+)/.exec(r.headers.authorization!)![1]!));
    const out = await converse(client);
    assert.match(out.output?.message?.content?.[0]?.text ?? "", new RegExp(KEYS.accessKeyId));
    const last = seen.at(-1)!;
    assert.equal(last.httpVersion, "2.0");
    assert.match(last.url, /v1%3A0\/converse$/, "the model id arrives percent-encoded");
    assert.match(signedHeaders, /^:authority;/);
  });

  it("accepts real keys from the control-plane client over HTTP/1.1, with a query and an ARN in the path", async () => {
    const client = control();
    await client.send(new ListFoundationModelsCommand({ byProvider: "Anthropic PBC", byOutputModality: "TEXT" }));
    assert.equal(seen.at(-1)!.httpVersion, "1.1");
    assert.match(seen.at(-1)!.url, /\?by/);
    const arn = `arn:aws:bedrock:${REGION}::foundation-model/${MODEL}`;
    const out = await client.send(new GetFoundationModelCommand({ modelIdentifier: arn }));
    assert.equal(out.modelDetails?.modelId, MODEL);
    assert.deepEqual(seen.at(-1)!.credential, { type: "access-key", accessKeyId: KEYS.accessKeyId });
  });

  it("rejects a wrong secret over both protocols", async () => {
    const credentials = { accessKeyId: KEYS.accessKeyId, secretAccessKey: "wrong-secret-wrong-secret-wrong-secret00" };
    await rejects(converse(runtime({ credentials })), "InvalidSignatureException", /signature we calculated does not match/);
    await rejects(control({ credentials }).send(new ListFoundationModelsCommand({})), "InvalidSignatureException");
  });

  it("rejects an unknown access key as UnrecognizedClientException", async () => {
    const credentials = generateAccessKeyPair();
    await rejects(converse(runtime({ credentials })), "UnrecognizedClientException", /security token included in the request is invalid/);
    await rejects(control({ credentials }).send(new ListFoundationModelsCommand({})), "UnrecognizedClientException");
  });

  it("rejects a body altered after signing", async () => {
    const client = runtime();
    tap(client, (r) => {
      r.body = String(r.body).replace("Hello", "Jello"); // same length: content-length stays right
    });
    await rejects(converse(client), "InvalidSignatureException", /x-amz-content-sha256/);
  });

  it("rejects an expired date, and the SDK corrects its clock from the Date header as against AWS", async () => {
    const skewed = { systemClockOffset: -20 * 60_000 };
    await rejects(converse(runtime(skewed)), "InvalidSignatureException", /^Signature expired: \d{8}T\d{6}Z is now earlier than/);
    await rejects(control(skewed).send(new ListFoundationModelsCommand({})), "InvalidSignatureException", /Signature expired/);
    const out = await converse(runtime({ ...skewed, maxAttempts: 3 }));
    assert.equal(out.$metadata.attempts, 2, "the second attempt, re-signed with the corrected clock, passes");
  });

  it("rejects a credential scoped to another region", async () => {
    await rejects(converse(runtime({ region: "eu-west-1" })), "InvalidSignatureException", /scoped to a valid region, not 'eu-west-1'/);
    await rejects(control({ region: "eu-west-1" }).send(new ListFoundationModelsCommand({})), "InvalidSignatureException", /valid region/);
  });

  it("rejects a replayed signature over HTTP/2", async () => {
    let captured: TappedRequest | undefined;
    const client = runtime();
    tap(client, (r) => (captured = { path: r.path, headers: { ...r.headers }, body: r.body }));
    await converse(client);
    const replay = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const session = h2Connect(endpoint);
      const stream = session.request({ ":method": "POST", ":path": captured!.path, ...captured!.headers });
      let body = "";
      let status = 0;
      let type = "";
      stream.on("response", (headers) => {
        status = Number(headers[":status"]);
        type = String(headers["x-amzn-errortype"]);
      });
      stream.setEncoding("utf8");
      stream.on("data", (c: string) => (body += c));
      stream.on("end", () => {
        session.close();
        resolve({ status, type, body });
      });
      stream.on("error", reject);
      stream.end(String(captured!.body));
    });
    assert.equal(replay.status, 403);
    assert.equal(replay.type, "InvalidSignatureException:");
    assert.match(replay.body, /already been used/);
  });

  it("rejects a replayed signature over HTTP/1.1", async () => {
    let captured: TappedRequest | undefined;
    const client = control();
    tap(client, (r) => (captured = { path: r.path, headers: { ...r.headers } }));
    await client.send(new GetFoundationModelCommand({ modelIdentifier: MODEL }));
    const reply = await new Promise<{ status: number; type: unknown }>((resolve, reject) => {
      const req = h1Request(`${endpoint}${captured!.path}`, { method: "GET", headers: captured!.headers }, (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode!, type: res.headers["x-amzn-errortype"] }));
      });
      req.on("error", reject);
      req.end();
    });
    assert.deepEqual(reply, { status: 403, type: "InvalidSignatureException:" });
  });

  it("answers an unsigned request with MissingAuthenticationTokenException", async () => {
    const res = await fetch(`${endpoint}/foundation-models`);
    assert.equal(res.status, 403);
    assert.equal(res.headers.get("x-amzn-errortype"), "MissingAuthenticationTokenException:");
  });

  it("accepts a bearer API key through the SDK's token option, and rejects a wrong or expired one", async () => {
    const bearer = (token: string) => ({ token: { token }, authSchemePreference: ["httpBearerAuth"] });
    const out = await converse(runtime(bearer(API_KEY.key)));
    assert.match(out.output?.message?.content?.[0]?.text ?? "", new RegExp(`"keyId":"${API_KEY.id}"`));
    assert.equal(seen.at(-1)!.httpVersion, "2.0");
    await control(bearer(API_KEY.key)).send(new ListFoundationModelsCommand({}));
    assert.deepEqual(seen.at(-1)!.credential, { type: "api-key", keyId: API_KEY.id });

    await rejects(converse(runtime(bearer(generateApiKey(PEPPER).key))), "UnrecognizedClientException");
    await rejects(converse(runtime(bearer("basalt_not-a-key"))), "UnrecognizedClientException");
    await rejects(converse(runtime(bearer(EXPIRED_API_KEY.key))), "ExpiredTokenException");
  });
});
