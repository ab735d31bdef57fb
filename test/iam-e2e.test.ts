// IAM end to end, as users meet it: users, keys and policies made with `basalt iam` on the data
// directory, then the real AWS SDK and OpenAI clients against the live server with those keys.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BedrockClient, ListFoundationModelsCommand } from "@aws-sdk/client-bedrock";
import { ConverseCommand, ConverseStreamCommand, type BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import OpenAI, { AuthenticationError, PermissionDeniedError } from "openai";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { bearerRuntime, createUser, iam, modelArn, policy, sigv4Runtime, type UserKeys } from "./helpers/iam.ts";
import { DUMMY_CREDENTIALS, startTestServer, type TestServer } from "./helpers/server.ts";

const MODELS = [
  { provider: "mock", id: "mock.echo", aliases: ["anthropic.claude-3-haiku-20240307-v1:0"] },
  { provider: "mock", id: "mock.other" },
  { provider: "mock", id: "mock.embed", embedding: true, embeddingDimensions: 16 },
];
const INVOKE = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"];

const say = (text: string) => ({ messages: [{ role: "user" as const, content: [{ text }] }] });

async function converseText(client: BedrockRuntimeClient, modelId: string, text = "hello there"): Promise<string> {
  const out = await client.send(new ConverseCommand({ modelId, ...say(text) }));
  return out.output?.message?.content?.[0]?.text ?? "";
}

async function converseStreamText(client: BedrockRuntimeClient, modelId: string, text = "stream me"): Promise<string> {
  const out = await client.send(new ConverseStreamCommand({ modelId, ...say(text) }));
  let streamed = "";
  for await (const event of out.stream!) streamed += event.contentBlockDelta?.delta?.text ?? "";
  return streamed;
}

/** Asserts an SDK or OpenAI call is refused with `name` (and HTTP `status`). */
async function refused(promise: Promise<unknown>, name: string, status: number, message?: RegExp): Promise<Error> {
  let caught: Error | undefined;
  await assert.rejects(promise, (error: Error & { $metadata?: { httpStatusCode?: number }; status?: number }) => {
    caught = error;
    // The AWS SDK sets `name` to the exception; the OpenAI SDK's classes carry it as their own name.
    assert.equal(error.name === "Error" ? error.constructor.name : error.name, name);
    assert.equal(error.$metadata?.httpStatusCode ?? error.status, status);
    if (message) assert.match(error.message, message);
    return true;
  });
  return caught!;
}

describe("IAM end to end with real keys", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "basalt-iam-e2e-"));
  let server: TestServer;
  let alice: UserKeys;
  let bob: UserKeys;

  before(async () => {
    // alice may invoke mock.echo only; bob may do everything except invoke mock.other.
    alice = await createUser(dataDir, {
      user: "alice",
      policyName: "echo-only",
      policy: policy([
        { Sid: "InvokeEcho", Effect: "Allow", Action: INVOKE, Resource: modelArn("mock.echo") },
        { Sid: "Embed", Effect: "Allow", Action: "bedrock:InvokeModel", Resource: modelArn("mock.embed") },
        { Sid: "List", Effect: "Allow", Action: "bedrock:ListFoundationModels", Resource: "*" },
        { Sid: "Bearer", Effect: "Allow", Action: "bedrock:CallWithBearerToken", Resource: "*" },
      ]),
    });
    bob = await createUser(dataDir, {
      user: "bob",
      policyName: "all-but-other",
      policy: policy([
        { Sid: "Everything", Effect: "Allow", Action: "bedrock:*", Resource: "*" },
        { Sid: "NoOther", Effect: "Deny", Action: "bedrock:InvokeModel*", Resource: modelArn("mock.other") },
      ]),
    });
    server = await startTestServer({ dataDir, models: MODELS });
  });
  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("lets a user allowed one foundation-model ARN invoke it with Converse and ConverseStream, through an alias too", async () => {
    const client = sigv4Runtime(server.url, alice);
    assert.equal(await converseText(client, "mock.echo"), "hello there");
    assert.equal(await converseStreamText(client, "mock.echo"), "stream me");
    // The alias serves mock.echo, so the policy on mock.echo's ARN governs it.
    assert.equal(await converseText(client, "anthropic.claude-3-haiku-20240307-v1:0", "via alias"), "via alias");
  });

  it("denies another model with AccessDeniedException naming the action and resource, never the policy", async () => {
    const client = sigv4Runtime(server.url, alice);
    const error = await refused(converseText(client, "mock.other"), "AccessDeniedException", 403);
    assert.match(error.message, /arn:aws:iam::000000000000:user\/alice is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model\/mock\.other/);
    assert.doesNotMatch(error.message, /echo-only|InvokeEcho|Statement/);
    await refused(converseStreamText(client, "mock.other"), "AccessDeniedException", 403, /bedrock:InvokeModelWithResponseStream/);
    // An ARN naming the model in another region or as an inference profile cannot dodge the check.
    await refused(converseText(client, "arn:aws:bedrock:eu-west-1::foundation-model/mock.other"), "AccessDeniedException", 403);
  });

  it("lets an explicit Deny win over an Allow", async () => {
    const client = sigv4Runtime(server.url, bob);
    assert.equal(await converseText(client, "mock.echo", "bob here"), "bob here");
    await refused(converseText(client, "mock.other"), "AccessDeniedException", 403, /with an explicit deny in an identity-based policy/);
  });

  it("authorizes the control plane too: ListFoundationModels needs its action", async () => {
    const control = (keys: UserKeys) => new BedrockClient({ endpoint: server.url, region: "us-east-1", credentials: keys, maxAttempts: 1 });
    const listed = await control(alice).send(new ListFoundationModelsCommand({}));
    assert.ok(listed.modelSummaries?.some((m) => m.modelId === "mock.echo"));
    const carol = await createUser(dataDir, { user: "carol" }); // no policy at all: default deny
    await refused(control(carol).send(new ListFoundationModelsCommand({})), "AccessDeniedException", 403, /bedrock:ListFoundationModels on resource: \*/);
  });

  it("accepts a bearer API key on the runtime and OpenAI routes, authorizing the model from the body", async () => {
    assert.equal(await converseText(bearerRuntime(server.url, alice.apiKey), "mock.echo", "bearer works"), "bearer works");
    const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: alice.apiKey, maxRetries: 0 });
    const chat = await openai.chat.completions.create({ model: "mock.echo", messages: [{ role: "user", content: "openai works" }] });
    assert.equal(chat.choices[0]?.message.content, "openai works");
    const stream = await openai.chat.completions.create({ model: "mock.echo", stream: true, messages: [{ role: "user", content: "streamed" }] });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    assert.equal(text, "streamed");
    const embedded = await openai.embeddings.create({ model: "mock.embed", input: "vectors please" });
    assert.equal(embedded.data[0]?.embedding.length, 16);

    const denied = await refused(openai.chat.completions.create({ model: "mock.other", messages: [{ role: "user", content: "no" }] }), "PermissionDeniedError", 403);
    assert.ok(denied instanceof PermissionDeniedError);
    assert.match(denied.message, /bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model\/mock\.other/);
    // Streaming needs InvokeModelWithResponseStream, which bob's Deny also covers.
    const bobOpenAi = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: bob.apiKey, maxRetries: 0 });
    await refused(bobOpenAi.chat.completions.create({ model: "mock.other", stream: true, messages: [{ role: "user", content: "no" }] }), "PermissionDeniedError", 403, /InvokeModelWithResponseStream/);
  });

  it("accepts an API key only from principals allowed bedrock:CallWithBearerToken, as Bedrock does", async () => {
    const dave = await createUser(dataDir, { user: "dave", policy: policy([{ Effect: "Allow", Action: INVOKE, Resource: modelArn("mock.echo") }]) });
    await refused(converseText(bearerRuntime(server.url, dave.apiKey), "mock.echo"), "AccessDeniedException", 403, /bedrock:CallWithBearerToken/);
    assert.equal(await converseText(sigv4Runtime(server.url, dave), "mock.echo", "signed is fine"), "signed is fine");
  });

  it("refuses unauthenticated and unknown-key requests once credentials exist; /healthz stays open", async () => {
    const unsigned = await fetch(`${server.url}/model/mock.echo/converse`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(say("hi")) });
    assert.equal(unsigned.status, 403);
    assert.equal(unsigned.headers.get("x-amzn-errortype"), "MissingAuthenticationTokenException:");
    assert.equal((await fetch(`${server.url}/foundation-models`)).status, 403);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    await refused(converseText(sigv4Runtime(server.url, DUMMY_CREDENTIALS), "mock.echo"), "UnrecognizedClientException", 403);
    await refused(converseText(sigv4Runtime(server.url, { ...alice, secretAccessKey: bob.secretAccessKey }), "mock.echo"), "InvalidSignatureException", 403);
    const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "sk-not-a-basalt-key", maxRetries: 0 });
    const error = await refused(openai.models.list(), "AuthenticationError", 401);
    assert.ok(error instanceof AuthenticationError);
  });

  it("refuses a model whose access is disabled for the account, and serves it again once enabled", async () => {
    const client = sigv4Runtime(server.url, bob);
    // With the server's configuration, the CLI stores the setting under the id an alias serves.
    const config = join(dataDir, "basalt.json");
    writeFileSync(config, JSON.stringify({ models: MODELS }));
    const disabled = await iam(dataDir, "disable-model", "--model-id", "anthropic.claude-3-haiku-20240307-v1:0", "--config", config);
    assert.match(disabled.out, /mock\.echo is now disabled/);
    await refused(converseText(client, "mock.echo"), "AccessDeniedException", 403, /don't have access to the model/);
    const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: bob.apiKey, maxRetries: 0 });
    await refused(openai.chat.completions.create({ model: "mock.echo", messages: [{ role: "user", content: "no" }] }), "PermissionDeniedError", 403);
    await iam(dataDir, "enable-model", "--model-id", "mock.echo");
    assert.equal(await converseText(client, "mock.echo", "back"), "back");
  });

  it("lets only principals allowed cloudwatch:GetMetricData scrape /metrics", async () => {
    const scrape = async (keys: Pick<UserKeys, "accessKeyId" | "secretAccessKey">) => {
      const url = new URL(`${server.url}/metrics`);
      const signer = new SignatureV4({ service: "bedrock", region: "us-east-1", credentials: keys, sha256: Hash.bind(null, "sha256") });
      const signed = await signer.sign({ method: "GET", protocol: "http:", hostname: url.hostname, port: Number(url.port), path: url.pathname, headers: { host: url.host } });
      return fetch(url, { headers: signed.headers as Record<string, string> });
    };
    const denied = await scrape(bob);
    assert.equal(denied.status, 403, "bedrock:* does not cover Basalt's metrics");
    const ops = await createUser(dataDir, { user: "ops-metrics", policy: policy([{ Effect: "Allow", Action: "cloudwatch:GetMetricData", Resource: "*" }]) });
    const allowed = await scrape(ops);
    assert.equal(allowed.status, 200);
    assert.match(await allowed.text(), /basalt_/);
  });

  it("simulate reports the decision and the deciding statement", async () => {
    const allowed = await iam(dataDir, "simulate", "--user-name", "alice", "--action", "bedrock:InvokeModel", "--model-id", "mock.echo");
    assert.match(allowed.out, /Decision: allowed/);
    assert.match(allowed.out, /Deciding statement: policy echo-only, Statement\[0\] \(Sid InvokeEcho\), Effect Allow/);
    assert.match(allowed.out, /"Resource":"arn:aws:bedrock:us-east-1::foundation-model\/mock\.echo"/);
    const denied = await iam(dataDir, "simulate", "--user-name", "bob", "--action", "bedrock:InvokeModel", "--resource", modelArn("mock.other"), "--json");
    const result = JSON.parse(denied.out);
    assert.equal(result.decision, "explicitDeny");
    assert.deepEqual(result.matchedStatement, { policyName: "all-but-other", index: 1, sid: "NoOther", effect: "Deny" });
    const nothing = await iam(dataDir, "simulate", "--user-name", "alice", "--action", "bedrock:CreateKnowledgeBase");
    assert.match(nothing.out, /Decision: implicitDeny\nDeciding statement: none/);
  });
});
