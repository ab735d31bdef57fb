// Isolation between accounts: each account's model access, users, keys and policies are its
// own. Another account's names, ids and ARNs answer as not found or access denied, never with
// data, through the live server (real SDK clients, real keys), the CLI and the database itself.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ConverseCommand, type BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { openDatabase } from "../src/store/db/open-database.ts";
import { createUser, iam, policy, sigv4Runtime, type UserKeys } from "./helpers/iam.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const DEFAULT_ACCOUNT = "000000000000";
const EVERYTHING = policy([{ Sid: "All", Effect: "Allow", Action: "bedrock:*", Resource: "*" }]);

async function converse(client: BedrockRuntimeClient, modelId: string): Promise<string> {
  const out = await client.send(new ConverseCommand({ modelId, messages: [{ role: "user", content: [{ text: "ping" }] }] }));
  return out.output?.message?.content?.[0]?.text ?? "";
}

const accessDenied = (pattern?: RegExp) => (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
  assert.equal(error.name, "AccessDeniedException");
  assert.equal(error.$metadata?.httpStatusCode, 403);
  if (pattern) assert.match(error.message, pattern);
  return true;
};

describe("isolation between accounts", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "basalt-iam-isolation-"));
  let server: TestServer;
  let accountB: string;
  let alice: UserKeys; // the default account
  let zed: UserKeys; // account B

  before(async () => {
    alice = await createUser(dataDir, { user: "alice", policyName: "everything", policy: EVERYTHING });
    // Account B starts with every model disabled and enables one.
    accountB = JSON.parse((await iam(dataDir, "create-account", "--name", "tenant-b", "--model-access", "disabled", "--json")).out).Account.Id;
    assert.match(accountB, /^\d{12}$/);
    zed = await createUser(dataDir, { user: "zed", account: accountB, policyName: "zed-everything", policy: EVERYTHING });
    await iam(dataDir, "enable-model", "--model-id", "mock.other", "--account", accountB);
    server = await startTestServer({ dataDir, models: [{ provider: "mock", id: "mock.echo" }, { provider: "mock", id: "mock.other" }] });
  });
  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("keeps model access per account: one account's settings never reach another", async () => {
    const a = sigv4Runtime(server.url, alice);
    const b = sigv4Runtime(server.url, zed);
    assert.equal(await converse(a, "mock.echo"), "ping");
    await assert.rejects(converse(b, "mock.echo"), accessDenied(new RegExp(`not enabled in account ${accountB}`)));
    assert.equal(await converse(b, "mock.other"), "ping");
    await iam(dataDir, "disable-model", "--model-id", "mock.other");
    await assert.rejects(converse(a, "mock.other"), accessDenied(/don't have access to the model/));
    assert.equal(await converse(b, "mock.other"), "ping", "account B is untouched by the default account's setting");
    await iam(dataDir, "enable-model", "--model-id", "mock.other");
  });

  it("refuses an ARN that names another account, even to a principal allowed everything", async () => {
    const b = sigv4Runtime(server.url, zed);
    const foreign = `arn:aws:bedrock:us-east-1:${DEFAULT_ACCOUNT}:application-inference-profile/mock.other`;
    await assert.rejects(converse(b, foreign), accessDenied(/is not authorized to perform: bedrock:InvokeModel/));
    assert.equal(await converse(b, `arn:aws:bedrock:us-east-1:${accountB}:inference-profile/mock.other`), "ping");
  });

  it("answers another account's users and policies as not found in the CLI", async () => {
    const inB = ["--account", accountB];
    await assert.rejects(iam(dataDir, "create-access-key", "--user-name", "alice", ...inB), /user with name alice cannot be found in account/);
    await assert.rejects(iam(dataDir, "attach-policy", "--policy-name", "everything", "--user-name", "zed", ...inB), /policy with name everything cannot be found/);
    await assert.rejects(iam(dataDir, "simulate", "--user-name", "alice", "--action", "bedrock:InvokeModel", ...inB), /cannot be found/);
    const listed = JSON.parse((await iam(dataDir, "list-users", "--json", ...inB)).out).Users;
    assert.deepEqual(listed.map((u: { Name: string }) => u.Name), ["zed"]);
    assert.deepEqual(listed[0].Policies, ["zed-everything"]);
    const unknown = "999999999999";
    await assert.rejects(iam(dataDir, "create-user", "--user-name", "eve", "--account", unknown), /account 999999999999 does not exist/);
  });

  it("simulate shows that no policy can grant another account's resource", async () => {
    const kb = `arn:aws:bedrock:us-east-1:${DEFAULT_ACCOUNT}:knowledge-base/KB12345678`;
    const result = JSON.parse((await iam(dataDir, "simulate", "--user-name", "zed", "--action", "bedrock:Retrieve", "--resource", kb, "--json", "--account", accountB)).out);
    assert.equal(result.decision, "allowed", "zed's own policy matches *");
    assert.equal(result.otherAccount, DEFAULT_ACCOUNT);
    assert.equal(result.allowed, false);
  });

  it("refuses a cross-account link in the database itself", async () => {
    const users = JSON.parse((await iam(dataDir, "list-users", "--json")).out).Users;
    const aliceId = users.find((u: { Name: string }) => u.Name === "alice").Id;
    const db = openDatabase({ dataDir });
    try {
      const [policyRow] = await db.query<{ id: string }>("SELECT id FROM iam_policies WHERE account_id = $1", [accountB]);
      // Account B's policy attached to the default account's user, under either account id.
      for (const account of [accountB, DEFAULT_ACCOUNT]) {
        await assert.rejects(
          db.execute("INSERT INTO iam_policy_attachments (account_id, policy_id, principal_id, created_at) VALUES ($1, $2, $3, 0)", [account, policyRow!.id, aliceId]),
          /FOREIGN KEY/i,
        );
      }
      const secrets = await db.query<{ secret_ciphertext: Buffer }>("SELECT secret_ciphertext FROM iam_access_keys");
      for (const row of secrets) assert.ok(!row.secret_ciphertext.includes(Buffer.from(alice.secretAccessKey)), "secrets are stored encrypted");
    } finally {
      await db.close();
    }
  });
});
