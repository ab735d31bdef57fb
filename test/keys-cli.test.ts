// `basalt keys` as an operator runs it, against a data directory a live server uses: rotation
// re-wraps data keys and signed requests keep working; disabling the master key makes the
// server fail closed (the access key secrets under it cannot be read); enabling restores it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import { runBasalt } from "./helpers/cli.ts";
import { createUser, policy, sigv4Runtime } from "./helpers/iam.ts";
import { startTestServer } from "./helpers/server.ts";

const dataDir = mkdtempSync(join(tmpdir(), "basalt-keys-"));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const basalt = (...args: string[]) => runBasalt([...args, "--data-dir", dataDir]);

const converse = new ConverseCommand({ modelId: "mock.echo", messages: [{ role: "user", content: [{ text: "hi" }] }] });

describe("basalt keys", () => {
  it("rotates, disables (the server fails closed) and enables the master key", async () => {
    const keys = await createUser(dataDir, { user: "ops", policy: policy([{ Effect: "Allow", Action: "bedrock:*", Resource: "*" }]) });
    const server = await startTestServer({ dataDir, models: [{ provider: "mock", id: "mock.echo" }] });
    try {
      const client = sigv4Runtime(server.url, keys);
      await client.send(converse);
      const listed = await basalt("keys", "list");
      assert.equal(listed.code, 0, listed.stderr);
      const keyId = /^(\S+) \(primary\)\s+ENABLED\s+1/m.exec(listed.stdout)?.[1];
      assert.ok(keyId, listed.stdout);

      const rotated = await basalt("keys", "rotate");
      assert.match(rotated.stdout, /re-wrapped [1-9]\d* data key/);
      assert.match((await basalt("keys", "list")).stdout, new RegExp(`${keyId} \\(primary\\)\\s+ENABLED\\s+2`));
      await client.send(converse);

      assert.equal((await basalt("keys", "disable", keyId)).code, 0);
      const deadline = Date.now() + 15_000;
      let refused: Error | undefined;
      while (!refused && Date.now() < deadline) {
        refused = await client.send(converse).then(() => undefined, (e: Error) => e);
        if (!refused) await new Promise((r) => setTimeout(r, 200));
      }
      // The access key's secret is stored under the disabled key, so the signature cannot be
      // verified: the request is refused as from an unrecognized client (src/iam/access-control.ts).
      assert.equal(refused?.name, "UnrecognizedClientException", "the server fails closed once the key is disabled");
      const write = await basalt("keys", "rotate-data-key");
      assert.equal(write.code, 1);
      assert.match(write.stderr, /is disabled/);

      assert.equal((await basalt("keys", "enable", keyId)).code, 0);
      const back = Date.now() + 15_000;
      let ok = false;
      while (!ok && Date.now() < back) ok = await client.send(converse).then(() => true, () => false);
      assert.ok(ok, "enabling the key restores access");
    } finally {
      await server.stop();
    }
  });
});
