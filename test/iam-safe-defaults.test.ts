// Safe defaults, end to end: no credentials means loopback only (and a clear refusal anywhere
// else), credentials created while serving turn authentication on, the CLI prints each secret
// once and the data directory never holds one in clear, and no request field picks an upstream.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import OpenAI from "openai";
import { runBasalt } from "./helpers/cli.ts";
import { startOpenAiUpstream } from "./helpers/openai-upstream.ts";
import { createUser, iam, policy, sigv4Runtime } from "./helpers/iam.ts";
import { DUMMY_CREDENTIALS, startTestServer } from "./helpers/server.ts";

const ECHO = { provider: "mock", id: "mock.echo" };

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "basalt-safe-"));
  temps.push(dir);
  return dir;
}
after(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const runCli = (args: string[]) => runBasalt(args, { timeoutMs: 60_000 });

/** Every file under `dir`, as bytes. */
function allBytes(dir: string): Buffer {
  const parts: Buffer[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    parts.push(statSync(path).isDirectory() ? allBytes(path) : readFileSync(path));
  }
  return Buffer.concat(parts);
}

const converse = (text: string) => new ConverseCommand({ modelId: "mock.echo", messages: [{ role: "user", content: [{ text }] }] });

describe("safe defaults", () => {
  it("refuses to serve a non-loopback address without credentials, saying why and how to create them", async () => {
    await assert.rejects(startTestServer({ server: { host: "0.0.0.0" } }), (error: Error & { hint?: string }) => {
      assert.match(error.message, /refusing to serve on 0\.0\.0\.0 without credentials/);
      assert.match(error.hint ?? "", /basalt iam create-user .* && basalt iam create-access-key/);
      return true;
    });
    const cli = await runCli(["serve", "--host", "0.0.0.0", "--port", "0", "--data-dir", tempDir()]);
    assert.equal(cli.code, 2);
    assert.match(cli.stderr, /error: refusing to serve on 0\.0\.0\.0 without credentials: no access key or API key exists/);
    assert.match(cli.stderr, /hint: create credentials first[\s\S]*basalt iam create-user --user-name admin && basalt iam create-access-key --user-name admin/);
  });

  it("serves a non-loopback address once credentials exist, and only to authenticated callers", async () => {
    const dataDir = tempDir();
    const keys = await createUser(dataDir, { user: "admin", policy: policy([{ Effect: "Allow", Action: "bedrock:*", Resource: "*" }]) });
    const server = await startTestServer({ dataDir, server: { host: "0.0.0.0" }, models: [ECHO] });
    try {
      const local = `http://127.0.0.1:${server.port}`;
      assert.equal((await fetch(`${local}/foundation-models`)).status, 403);
      const out = await sigv4Runtime(local, keys).send(converse("signed"));
      assert.equal(out.output?.message?.content?.[0]?.text, "signed");
    } finally {
      await server.stop();
    }
  });

  it("turns authentication on while serving when credentials are created with the CLI", async () => {
    const dataDir = tempDir();
    const server = await startTestServer({ dataDir, models: [ECHO] });
    try {
      const anonymous = sigv4Runtime(server.url, DUMMY_CREDENTIALS);
      assert.equal((await anonymous.send(converse("anonymous"))).output?.message?.content?.[0]?.text, "anonymous");
      const keys = await createUser(dataDir, { user: "late" });
      // The server re-reads the credential state every second.
      const deadline = Date.now() + 10_000;
      let status = 200;
      while (status !== 403 && Date.now() < deadline) {
        status = (await fetch(`${server.url}/foundation-models`)).status;
        if (status !== 403) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(status, 403, "unauthenticated requests are refused once credentials exist");
      await assert.rejects(anonymous.send(converse("x")), { name: "UnrecognizedClientException" });
      // Real keys authenticate, but a user with no policy is denied by default.
      await assert.rejects(sigv4Runtime(server.url, keys).send(converse("x")), { name: "AccessDeniedException" });
    } finally {
      await server.stop();
    }
  });

  it("prints each secret exactly once, and keeps none in clear in the data directory", async () => {
    const dataDir = tempDir();
    const dir = ["--data-dir", dataDir];
    assert.equal((await runCli(["iam", "create-user", "--user-name", "ops", ...dir])).code, 0);
    const created = await runCli(["iam", "create-access-key", "--user-name", "ops", ...dir]);
    assert.equal(created.code, 0, created.stderr);
    const secret = /AWS_SECRET_ACCESS_KEY=(\S+)/.exec(created.stdout)?.[1];
    const keyId = /AWS_ACCESS_KEY_ID=(BKIA\w+)/.exec(created.stdout)?.[1];
    assert.ok(secret && keyId, created.stdout);
    assert.match(created.stdout, /shown only now/);
    const apiKey = /AWS_BEARER_TOKEN_BEDROCK=(basalt_\S+)/.exec((await runCli(["iam", "create-api-key", "--user-name", "ops", ...dir])).stdout)?.[1];
    assert.ok(apiKey);
    await runCli(["iam", "put-policy", "--policy-name", "p", "--policy-document", JSON.stringify(policy([{ Effect: "Allow", Action: "bedrock:*", Resource: "*" }])), ...dir]);
    await runCli(["iam", "attach-policy", "--policy-name", "p", "--user-name", "ops", ...dir]);
    const later = [
      await runCli(["iam", "list-users", ...dir]),
      await runCli(["iam", "list-users", "--json", ...dir]),
      await runCli(["iam", "simulate", "--user-name", "ops", "--action", "bedrock:InvokeModel", "--model-id", "mock.echo", ...dir]),
    ];
    for (const run of later) {
      assert.equal(run.code, 0, run.stderr);
      assert.ok(!run.stdout.includes(secret) && !run.stdout.includes(apiKey), "no later command shows a secret");
    }
    assert.match(later[0]!.stdout, new RegExp(keyId), "key ids are listed");
    assert.match(later[2]!.stdout, /Decision: allowed\nDeciding statement: policy p, Statement\[0\], Effect Allow/);
    const stored = allBytes(dataDir);
    assert.equal(stored.includes(secret), false, "the access key secret is stored encrypted");
    assert.equal(stored.includes(apiKey), false, "the API key is stored as a hash");
    // The secret part is base64url and may itself hold '_', so it is taken by the key's layout.
    const secretPart = /^basalt_[a-z2-7]{12}_([A-Za-z0-9_-]{43})/.exec(apiKey)?.[1];
    assert.ok(secretPart, apiKey);
    assert.equal(stored.includes(secretPart), false, "not even the key's secret part");
  });

  it("never lets a request choose the upstream URL", async () => {
    // A request names only a model id; the provider's baseUrl comes from the configuration.
    // Every field and header a client might try to redirect with is sent here, pointing at a
    // canary upstream, and the canary must see nothing.
    const upstream = await startOpenAiUpstream();
    const canary = await startOpenAiUpstream();
    const server = await startTestServer({ models: [{ provider: "openai", id: "remote", baseUrl: `${upstream.url}/v1`, upstreamModel: "echo" }] });
    try {
      const target = `${canary.url}/v1`;
      const redirects = { base_url: target, baseURL: target, baseUrl: target, api_base: target, endpoint: target, url: target };
      const headers = { "x-portkey-custom-host": target, "x-forwarded-host": new URL(canary.url).host, "x-base-url": target };
      const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0, defaultHeaders: headers });
      await openai.chat.completions.create({ model: "remote", messages: [{ role: "user", content: "hi" }], ...redirects } as never);
      await openai.embeddings.create({ model: "remote", input: "x", ...redirects } as never).catch(() => undefined);
      const runtime = sigv4Runtime(server.url, DUMMY_CREDENTIALS);
      await runtime.send(new ConverseCommand({ modelId: "remote", messages: [{ role: "user", content: [{ text: "hi" }] }], additionalModelRequestFields: redirects }));
      await runtime.send(new ConverseCommand({ modelId: `${canary.url}/v1`, messages: [{ role: "user", content: [{ text: "hi" }] }] })).catch(() => undefined);
      assert.equal(canary.requests.length, 0, "the canary upstream was never contacted");
      assert.ok(upstream.requests.length >= 2, "the configured upstream served the requests");
    } finally {
      await server.stop();
      await upstream.close();
      await canary.close();
    }
  });
});
