// The user-level check of encryption at rest (issue 3, item 9): content holding a unique marker
// is written through the encryption API into a data directory, then every byte of every file
// there is scanned for the marker (as UTF-8, UTF-16, hex and base64). The same scan must find the
// marker once it is written unencrypted, so it cannot pass by scanning nothing. Disabling the
// key must then fail closed. The second case does the same through a real server and the AWS
// SDK: a document ingested into a knowledge base (its chunks, vectors and graph, decision 0025),
// and a guardrail's configuration.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createReadStream, createWriteStream } from "node:fs";
import { after, it } from "node:test";
import { BedrockAgentClient, CreateDataSourceCommand, CreateKnowledgeBaseCommand, GetIngestionJobCommand, GetKnowledgeBaseCommand, StartIngestionJobCommand } from "@aws-sdk/client-bedrock-agent";
import { BedrockAgentRuntimeClient, RetrieveCommand } from "@aws-sdk/client-bedrock-agent-runtime";
import { BedrockClient, CreateGuardrailCommand } from "@aws-sdk/client-bedrock";
import { ApplyGuardrailCommand, BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { DUMMY_CREDENTIALS, startTestServer } from "../../../test/helpers/server.ts";
import { BasaltError } from "../../spec/errors.ts";
import { scanForMarker as scan } from "./at-rest-scan.fixture.ts";
import { EnvelopeEncryption } from "./envelope-encryption.ts";
import { FileWrappedKeyStore } from "./file-wrapped-key-store.ts";
import { LocalKeyProvider } from "./local-key-provider.ts";

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

it("a unique string sent in stored content is not findable in the data directory's bytes; disabling the key fails closed", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "basalt-at-rest-"));
  dirs.push(dataDir);
  const marker = `basalt-marker-${randomUUID()}`;
  const keys = await LocalKeyProvider.open({ path: join(dataDir, "master.key") });
  const enc = new EnvelopeEncryption({ keys, store: new FileWrappedKeyStore(join(dataDir, "keys")), segmentBytes: 4096 });
  const objects = join(dataDir, "objects");
  await mkdir(objects, { recursive: true });

  // What repositories will store: documents, chunk text, logs and job data, for two accounts.
  const records: { path: string; account: string; arn: string; text: string }[] = [];
  for (const account of ["111111111111", "222222222222"]) {
    for (const [kind, text] of [
      ["document", `Quarterly report. Secret code ${marker}. End.`],
      ["chunk", marker],
      ["log", JSON.stringify({ prompt: `say ${marker}`, output: "ok" })],
      ["job", `{"input":"s3://bucket/${marker}.jsonl"}`],
    ] as const) {
      const arn = `arn:aws:bedrock:us-east-1:${account}:${kind}/${randomUUID()}`;
      const path = join(objects, `${account}-${kind}.bin`);
      await writeFile(path, await enc.encrypt(account, text, arn));
      records.push({ path, account, arn, text });
    }
  }
  // A multi-MB blob through the streaming path, with the marker repeated, and one copy split across a segment boundary.
  const blob = Buffer.concat([randomBytes(4096 - 10), Buffer.from(marker.repeat(200)), randomBytes(3 * 1024 * 1024)]);
  const blobArn = "arn:aws:bedrock:us-east-1:111111111111:knowledge-base/KB1/blob";
  await pipeline(await enc.encryptStream("111111111111", Readable.from([blob]), blobArn), createWriteStream(join(objects, "blob.bin")));
  // Keys rotate while content exists; rotation must not write anything readable either.
  await enc.rotateDataKey("111111111111");
  await enc.rotateMasterKey();
  const late = { path: join(objects, "late.bin"), account: "111111111111", arn: "arn:late", text: `after rotation ${marker}` };
  await writeFile(late.path, await enc.encrypt(late.account, late.text, late.arn));
  records.push(late);

  // Everything reads back, so the marker really was in what was written.
  for (const r of records) assert.equal((await enc.decrypt(r.account, await readFile(r.path), r.arn)).toString(), r.text);
  const chunks: Buffer[] = [];
  for await (const chunk of await enc.decryptStream("111111111111", createReadStream(join(objects, "blob.bin")), blobArn)) chunks.push(chunk as Buffer);
  assert.deepEqual(Buffer.concat(chunks), blob);

  const encrypted = await scan(dataDir, marker);
  assert.deepEqual(encrypted.hits, [], `marker found in ${encrypted.hits.join(", ")}`);
  assert.ok(encrypted.filesScanned >= records.length + 4, `scanned only ${encrypted.filesScanned} files`);
  assert.ok(encrypted.bytesScanned > blob.length);

  // The control: the same scan finds the marker as soon as it is stored in the clear, in any
  // encoding, even in a hidden nested file.
  const control = join(dataDir, ".cache", "deep", "unencrypted.txt");
  await mkdir(join(control, ".."), { recursive: true });
  for (const variant of [marker, Buffer.from(marker).toString("base64"), `xx${Buffer.from(`a${marker}`).toString("base64")}`, Buffer.from(marker).toString("hex")]) {
    await writeFile(control, `prefix ${variant} suffix`);
    assert.deepEqual((await scan(dataDir, marker)).hits, [relative(dataDir, control)], variant);
  }
  await rm(control);

  // Disabling the master key makes every record unreadable with AccessDeniedException, and re-enabling restores them.
  const primary = await keys.primaryKeyId();
  await keys.disableKey(primary);
  for (const r of records) {
    await assert.rejects(enc.decrypt(r.account, await readFile(r.path), r.arn), (e: unknown) => e instanceof BasaltError && e.name === "AccessDeniedException" && /disabled/.test(e.message));
  }
  await assert.rejects(enc.decryptStream("111111111111", createReadStream(join(objects, "blob.bin")), blobArn), /disabled/);
  await assert.rejects(enc.encrypt("111111111111", marker, "arn:new"), /disabled/);
  assert.deepEqual((await scan(dataDir, marker)).hits, []);
  await keys.enableKey(primary);
  assert.equal((await enc.decrypt(late.account, await readFile(late.path), late.arn)).toString(), late.text);
});

it("a marker in a document ingested into a knowledge base, and in a guardrail, is not findable in the data directory; Retrieve and ApplyGuardrail fail closed while the key is disabled", async () => {
  const marker = `basalt-marker-${randomUUID()}`;
  // The customer's own documents: outside the data directory, in the clear, as their bucket is.
  const folder = await mkdtemp(join(tmpdir(), "basalt-at-rest-docs-"));
  dirs.push(folder);
  await writeFile(join(folder, "vault.txt"), `Facilities handbook.\n\nThe vault code is ${marker} and it changes every month.\n\nThe canteen opens at eight.`);
  const server = await startTestServer({ knowledgeBases: { buckets: { "vault-docs": { folder } } } });
  try {
    const client = { endpoint: server.url, region: "us-east-1", credentials: DUMMY_CREDENTIALS, maxAttempts: 1 };
    const agent = new BedrockAgentClient(client);
    const runtime = new BedrockAgentRuntimeClient(client);
    const { knowledgeBase } = await agent.send(
      new CreateKnowledgeBaseCommand({
        name: "vault",
        roleArn: "arn:aws:iam::000000000000:role/kb",
        knowledgeBaseConfiguration: { type: "VECTOR", vectorKnowledgeBaseConfiguration: { embeddingModelArn: "arn:aws:bedrock:us-east-1::foundation-model/basalt.use-lite-v1" } },
      }),
    );
    const knowledgeBaseId = knowledgeBase!.knowledgeBaseId!;
    const { dataSource } = await agent.send(
      new CreateDataSourceCommand({ knowledgeBaseId, name: "vault-source", dataSourceConfiguration: { type: "S3", s3Configuration: { bucketArn: "arn:aws:s3:::vault-docs" } } }),
    );
    const ids = { knowledgeBaseId, dataSourceId: dataSource!.dataSourceId! };
    const { ingestionJob } = await agent.send(new StartIngestionJobCommand(ids));
    for (;;) {
      const job = (await agent.send(new GetIngestionJobCommand({ ...ids, ingestionJobId: ingestionJob!.ingestionJobId! }))).ingestionJob!;
      if (job.status === "COMPLETE") break;
      assert.ok(job.status === "STARTING" || job.status === "IN_PROGRESS", `ingestion ended ${job.status}: ${JSON.stringify(job.failureReasons)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const retrieve = () => runtime.send(new RetrieveCommand({ knowledgeBaseId, retrievalQuery: { text: "What is the vault code?" } }));
    const found = await retrieve();
    assert.ok(found.retrievalResults?.some((r) => r.content?.text?.includes(marker)), "the marker was ingested and is retrievable");
    // A guardrail whose denied topic, blocked word and blocked message hold the marker.
    const { guardrailId } = await new BedrockClient(client).send(
      new CreateGuardrailCommand({
        name: "vault-guard",
        blockedInputMessaging: `Do not ask about ${marker}.`,
        blockedOutputsMessaging: "Blocked.",
        topicPolicyConfig: { topicsConfig: [{ name: "vault", definition: `Questions about the vault code ${marker}`, type: "DENY" }] },
        wordPolicyConfig: { wordsConfig: [{ text: marker }] },
      }),
    );
    const apply = () =>
      new BedrockRuntimeClient(client).send(new ApplyGuardrailCommand({ guardrailIdentifier: guardrailId, guardrailVersion: "DRAFT", source: "INPUT", content: [{ text: { text: `say ${marker}` } }] }));
    assert.equal((await apply()).outputs?.[0]?.text, `Do not ask about ${marker}.`, "the guardrail blocks the marker");

    // The control: the scan finds the marker in the source folder. Then, server running (the
    // index's WAL in use), nothing in the data directory holds it.
    assert.deepEqual((await scan(folder, marker)).hits, ["vault.txt"]);
    const running = await scan(server.dataDir, marker);
    assert.deepEqual(running.hits, [], `marker found in ${running.hits.join(", ")}`);
    assert.ok(running.filesScanned >= 4, `scanned only ${running.filesScanned} files`);

    // Another process (an operator) disables the master key: Retrieve fails closed with the clear
    // error, while requests that need no key are still served; enabling it restores Retrieve.
    const keys = await LocalKeyProvider.open({ path: join(server.dataDir, "master.key") });
    const primary = await keys.primaryKeyId();
    await keys.disableKey(primary);
    const refused = await waitFor(async () => retrieve().then(() => undefined, (error: unknown) => error));
    assert.ok(refused instanceof Error && refused.name === "AccessDeniedException" && /disabled/.test(refused.message), String(refused));
    // The compiled guardrail is cached in memory; it is not used without the key either.
    await assert.rejects(apply(), (error: Error) => error.name === "AccessDeniedException" && /disabled/.test(error.message));
    assert.equal((await agent.send(new GetKnowledgeBaseCommand({ knowledgeBaseId }))).knowledgeBase?.status, "ACTIVE");
    await keys.enableKey(primary);
    const restored = await waitFor(async () => retrieve().then((out) => out, () => undefined));
    assert.ok(restored.retrievalResults?.some((r) => r.content?.text?.includes(marker)));
    assert.equal((await apply()).action, "GUARDRAIL_INTERVENED");

    // Closed: the graph has been saved (sealed) and the WAL folded in; still nothing.
    await server.close();
    const closed = await scan(server.dataDir, marker);
    assert.deepEqual(closed.hits, [], `marker found in ${closed.hits.join(", ")}`);
  } finally {
    await server.stop();
  }
});

/** Retries `attempt` until it yields something (the server sees key file edits within a second). */
async function waitFor<T>(attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const result = await attempt();
    if (result !== undefined) return result;
    assert.ok(Date.now() < deadline, "timed out");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
