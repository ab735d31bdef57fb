// Credential lifecycle through the CLI against a live server: a deactivated access key or API
// key is refused, reactivating restores it, deleted keys are gone, and a user with credentials
// is deleted only with --force.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import { bearerRuntime, createUser, iam, policy, sigv4Runtime } from "./helpers/iam.ts";
import { startTestServer } from "./helpers/server.ts";

const dataDir = mkdtempSync(join(tmpdir(), "basalt-lifecycle-"));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const converse = new ConverseCommand({ modelId: "mock.echo", messages: [{ role: "user", content: [{ text: "hi" }] }] });

/** Polls until `send` settles the expected way (the server re-reads credentials every second). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const works = (p: Promise<unknown>) => p.then(() => true, () => false);

describe("credential lifecycle", () => {
  it("deactivates, reactivates and deletes keys, and deletes users only with --force", async () => {
    const keys = await createUser(dataDir, { user: "ops", policy: policy([{ Effect: "Allow", Action: "bedrock:*", Resource: "*" }]) });
    const server = await startTestServer({ dataDir, models: [{ provider: "mock", id: "mock.echo" }] });
    try {
      const signed = sigv4Runtime(server.url, keys);
      const bearer = bearerRuntime(server.url, keys.apiKey);
      assert.ok(await works(signed.send(converse)));
      assert.ok(await works(bearer.send(converse)));

      const listed = JSON.parse((await iam(dataDir, "list-access-keys", "--user-name", "ops", "--json")).out);
      assert.equal(listed.AccessKeyMetadata[0].AccessKeyId, keys.accessKeyId);
      assert.equal(listed.AccessKeyMetadata[0].Status, "Active");
      assert.ok(!JSON.stringify(listed).includes(keys.secretAccessKey), "no secret is listed");
      const apiKeyId: string = listed.ApiKeys[0].ApiKeyId;

      await iam(dataDir, "update-access-key", "--access-key-id", keys.accessKeyId, "--status", "Inactive");
      await eventually(async () => !(await works(signed.send(converse))), "the inactive access key is refused");
      await assert.rejects(signed.send(converse), { name: "UnrecognizedClientException" });
      assert.ok(await works(bearer.send(converse)), "the API key is unaffected");
      await iam(dataDir, "update-access-key", "--access-key-id", keys.accessKeyId, "--status", "Active");
      await eventually(() => works(signed.send(converse)), "the reactivated access key works again");

      await iam(dataDir, "update-api-key", "--api-key-id", apiKeyId, "--status", "Inactive");
      await eventually(async () => !(await works(bearer.send(converse))), "the inactive API key is refused");
      await iam(dataDir, "delete-api-key", "--api-key-id", apiKeyId);
      await assert.rejects(iam(dataDir, "update-api-key", "--api-key-id", apiKeyId, "--status", "Active"), /does not exist/);

      await assert.rejects(iam(dataDir, "delete-user", "--user-name", "ops"), /Cannot delete user ops: it has 1 credential\(s\) and 1 attached policy/);
      assert.ok(await works(signed.send(converse)), "a refused delete changes nothing");
      const deleted = await iam(dataDir, "delete-user", "--user-name", "ops", "--force");
      assert.match(deleted.out, /Deleted user ops with 1 credential\(s\) and 1 policy attachment\(s\)/);
      await eventually(async () => !(await works(signed.send(converse))), "the deleted user's key is refused");
      await assert.rejects(iam(dataDir, "delete-access-key", "--access-key-id", keys.accessKeyId), /does not exist/);
    } finally {
      await server.stop();
    }
  });
});
