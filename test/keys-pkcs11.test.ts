// Encryption at rest with the master key in an HSM, end to end on a real SoftHSM2 token: the
// server is configured with `encryption.keyProvider: pkcs11`, stores an ingestion job (its
// payload and result are sealed under the token's key), and `basalt keys` run as separate
// processes against the same token list, rotate, disable and enable the key. While it is
// disabled the API fails closed with the key error; enabling restores it. Skipped, with the
// reason, without SoftHSM2.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BedrockAgentClient, CreateDataSourceCommand, CreateKnowledgeBaseCommand, GetIngestionJobCommand, StartIngestionJobCommand, type IngestionJob } from "@aws-sdk/client-bedrock-agent";
import { INGESTION_JOB_TYPE } from "../src/kb/store/ingestion-jobs.ts";
import { runBasalt } from "./helpers/cli.ts";
import { DUMMY_CREDENTIALS, startTestServer } from "./helpers/server.ts";
import { createSoftHsmToken, SOFTHSM_SKIP_REASON } from "./helpers/softhsm.ts";

const token = SOFTHSM_SKIP_REASON ? undefined : createSoftHsmToken();
const configDir = mkdtempSync(join(tmpdir(), "basalt-keys-pkcs11-"));
after(() => rmSync(configDir, { recursive: true, force: true }));

const MODELS = [{ provider: "mock", id: "mock.embed", embedding: true, embeddingDimensions: 16 }];

type SdkError = Error & { $metadata?: { httpStatusCode?: number } };

describe("encryption at rest with a PKCS#11 key provider", { skip: SOFTHSM_SKIP_REASON }, () => {
  it("seals content under the token's key; basalt keys disables it (the API fails closed) and enables it", async () => {
    // The PIN travels as a secret reference; the child processes inherit the variable and SOFTHSM2_CONF.
    process.env.HSM_PIN = token!.pin;
    // A zero state cache: a change made by another process is seen on the next request.
    const keyProvider = { type: "pkcs11", module: token!.module, tokenLabel: token!.tokenLabel, pin: "env::HSM_PIN", stateCacheMs: 0 };
    const server = await startTestServer({ embeddedDefaults: false, models: MODELS, encryption: { keyProvider } });
    const configFile = join(configDir, "basalt.json");
    writeFileSync(configFile, JSON.stringify({ dataDir: server.dataDir, encryption: { keyProvider } }));
    const basalt = async (...args: string[]) => runBasalt([...args, "--config", configFile], { env: { HSM_PIN: token!.pin } });
    try {
      server.jobs.register(INGESTION_JOB_TYPE, async () => ({ failureReasons: ["s3://docs/a.pdf: sealed in the token's care"] }), { replace: true });
      const client = new BedrockAgentClient({ endpoint: server.url, region: "us-east-1", credentials: DUMMY_CREDENTIALS, maxAttempts: 1 });
      const knowledgeBaseId = (
        await client.send(
          new CreateKnowledgeBaseCommand({
            name: "hsm",
            roleArn: "arn:aws:iam::000000000000:role/basalt-kb",
            knowledgeBaseConfiguration: { type: "VECTOR", vectorKnowledgeBaseConfiguration: { embeddingModelArn: "arn:aws:bedrock:us-east-1::foundation-model/mock.embed" } },
          }),
        )
      ).knowledgeBase!.knowledgeBaseId!;
      const dataSourceId = (
        await client.send(new CreateDataSourceCommand({ knowledgeBaseId, name: "docs", dataSourceConfiguration: { type: "S3", s3Configuration: { bucketArn: "arn:aws:s3:::docs" } } }))
      ).dataSource!.dataSourceId!;
      const ref = { knowledgeBaseId, dataSourceId };
      const ingestionJobId = (await client.send(new StartIngestionJobCommand(ref))).ingestionJob!.ingestionJobId!;
      const get = async (): Promise<IngestionJob> => (await client.send(new GetIngestionJobCommand({ ...ref, ingestionJobId }))).ingestionJob!;
      let job = await get();
      for (let i = 0; job.status !== "COMPLETE" && i < 400; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        job = await get();
      }
      assert.equal(job.status, "COMPLETE");
      assert.deepEqual(job.failureReasons, ["s3://docs/a.pdf: sealed in the token's care"]);

      // Another process sees the key the server generated in the token.
      const listed = await basalt("keys", "list");
      assert.equal(listed.code, 0, listed.stderr);
      const keyId = /^(\S+) \(primary\)\s+ENABLED\s+1/m.exec(listed.stdout)?.[1];
      assert.ok(keyId, listed.stdout);
      const rotated = await basalt("keys", "rotate");
      assert.equal(rotated.code, 0, rotated.stderr);
      assert.match(rotated.stdout, /re-wrapped [1-9]\d* data key/);
      assert.match((await basalt("keys", "list")).stdout, new RegExp(`${keyId} \\(primary\\)\\s+ENABLED\\s+2`));
      assert.equal((await get()).status, "COMPLETE");

      const disabled = await basalt("keys", "disable", keyId);
      assert.equal(disabled.code, 0, disabled.stderr);
      const keyError = (error: SdkError) => {
        assert.equal(error.name, "AccessDeniedException", error.message);
        assert.equal(error.$metadata?.httpStatusCode, 403);
        assert.match(error.message, new RegExp(`The master key ${keyId} is disabled`));
        return true;
      };
      await assert.rejects(get(), keyError);
      const write = await basalt("keys", "rotate-data-key");
      assert.equal(write.code, 1);
      assert.match(write.stderr, /is disabled/);
      assert.ok(!`${listed.stdout}${listed.stderr}${write.stderr}`.includes(token!.pin), "the PIN is never printed");

      const enabled = await basalt("keys", "enable", keyId);
      assert.equal(enabled.code, 0, enabled.stderr);
      assert.deepEqual((await get()).failureReasons, ["s3://docs/a.pdf: sealed in the token's care"]);
    } finally {
      await server.stop();
    }
  });
});
