// Model invocation logging end to end on the real server: Bedrock's Get/Put/Delete
// ModelInvocationLoggingConfiguration through @aws-sdk/client-bedrock, model calls through
// @aws-sdk/client-bedrock-runtime, records read back from the data directory's encrypted JSON
// Lines (decrypted with its key file, as `basalt usage logs` does) and from a real local S3
// server (s3rver), where the server delivers a batch every 5 s.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { gunzipSync } from "node:zlib";
import {
  BedrockClient,
  DeleteModelInvocationLoggingConfigurationCommand,
  GetModelInvocationLoggingConfigurationCommand,
  PutModelInvocationLoggingConfigurationCommand,
  type LoggingConfig,
} from "@aws-sdk/client-bedrock";
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand } from "@aws-sdk/client-bedrock-runtime";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { EnvelopeEncryption } from "../src/store/crypto/envelope-encryption.ts";
import { openEncryption } from "../src/store/crypto/open-encryption.ts";
import { readInvocationLogs } from "../src/usage/invocation-log-files.ts";
import type { InvocationLogRecord } from "../src/usage/invocation-log-writer.ts";
import { startLocalS3, type LocalS3 } from "./helpers/s3.ts";
import { DUMMY_CREDENTIALS } from "./helpers/server.ts";
import { startUsageTestServer, waitFor, type UsageTestServer } from "./helpers/usage-server.ts";

const ACCOUNT = "000000000000";
const AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE";
const OPENAI_KEY = "sk-proj-abcdefghijklmnopqrstuvwx";
const BASALT_KEY = `basalt_abcdefghijkl_${"A".repeat(43)}Zz0-_9`;
const SECRET_PROMPT = `Remember ${AWS_KEY_ID}, ${OPENAI_KEY} and ${BASALT_KEY} for me.`;
const LOG_BUCKET = "invocation-logs";

describe("model invocation logging", () => {
  let s3: LocalS3;
  let server: UsageTestServer;
  let runtime: BedrockRuntimeClient;
  let control: BedrockClient;
  let logFile: string;
  let encryption: EnvelopeEncryption;

  const fileRecords = async (): Promise<InvocationLogRecord[]> => {
    const records: InvocationLogRecord[] = [];
    for await (const record of readInvocationLogs({ dir: join(server.dataDir, "invocation-logs"), encryption })) records.push(record);
    return records;
  };
  const converse = (text: string, modelId = "mock.echo") => runtime.send(new ConverseCommand({ modelId, messages: [{ role: "user", content: [{ text }] }] }));
  const put = (loggingConfig: LoggingConfig) => control.send(new PutModelInvocationLoggingConfigurationCommand({ loggingConfig }));

  async function s3Records(): Promise<InvocationLogRecord[]> {
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: LOG_BUCKET }));
    const out: InvocationLogRecord[] = [];
    for (const object of listed.Contents ?? []) {
      assert.match(object.Key!, new RegExp(`^bedrock/AWSLogs/${ACCOUNT}/BedrockModelInvocationLogs/us-east-1/\\d{4}/\\d{2}/\\d{2}/\\d{2}/\\d{8}T\\d{6}Z_[0-9a-f-]{36}\\.json\\.gz$`));
      const body = await (await s3.client.send(new GetObjectCommand({ Bucket: LOG_BUCKET, Key: object.Key }))).Body!.transformToByteArray();
      for (const line of gunzipSync(body).toString("utf8").trimEnd().split("\n")) out.push(JSON.parse(line) as InvocationLogRecord);
    }
    return out;
  }

  before(async () => {
    s3 = await startLocalS3();
    await s3.createBucket(LOG_BUCKET);
    process.env.BASALT_TEST_LOG_S3_KEY = s3.accessKeyId;
    process.env.BASALT_TEST_LOG_S3_SECRET = s3.secretAccessKey;
    server = await startUsageTestServer({
      models: [
        { provider: "mock", id: "mock.echo" },
        { provider: "mock", id: "mock.failing", mode: "script", responses: [{ error: "MODEL_ERROR" }] },
      ],
      // S3 delivery uses the object storage's endpoint and credentials, on the bucket the logging configuration names.
      objectStorage: {
        type: "s3",
        bucket: s3.bucket,
        endpoint: s3.endpoint,
        region: s3.region,
        forcePathStyle: true,
        accessKeyId: "env::BASALT_TEST_LOG_S3_KEY",
        secretAccessKey: "env::BASALT_TEST_LOG_S3_SECRET",
      },
    });
    logFile = join(server.dataDir, "invocation-logs", ACCOUNT, "us-east-1", `${new Date().toISOString().slice(0, 10)}.jsonl.enc`);
    encryption = await openEncryption({ dataDir: server.dataDir });
    const config = { endpoint: server.url, region: "us-east-1", credentials: DUMMY_CREDENTIALS, maxAttempts: 1 };
    runtime = new BedrockRuntimeClient(config);
    control = new BedrockClient(config);
  });
  after(async () => {
    runtime?.destroy();
    control?.destroy();
    encryption?.close();
    await server?.stop();
    await s3?.close();
  });

  it("is off by default: Get has no configuration and calls write nothing", async () => {
    const got = await control.send(new GetModelInvocationLoggingConfigurationCommand({}));
    assert.equal(got.loggingConfig, undefined);
    await converse("nothing to log");
    await sleep(100);
    assert.equal(existsSync(join(server.dataDir, "invocation-logs")), false);
  });

  it("rejects invalid configurations with ValidationException naming the field", async () => {
    for (const [loggingConfig, field] of [
      [{ s3Config: { bucketName: "Not_A_Bucket" } }, "loggingConfig.s3Config.bucketName"],
      [{ cloudWatchConfig: { logGroupName: "g", roleArn: "not-an-arn" } }, "loggingConfig.cloudWatchConfig.roleArn"],
    ] as const) {
      await assert.rejects(put(loggingConfig as LoggingConfig), (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(error.name, "ValidationException");
        assert.equal(error.$metadata?.httpStatusCode, 400);
        assert.ok(error.message.includes(`'${field}'`), error.message);
        return true;
      });
    }
    assert.equal((await control.send(new GetModelInvocationLoggingConfigurationCommand({}))).loggingConfig, undefined);
  });

  it("logs metadata only, to the data directory, until textDataDeliveryEnabled", async () => {
    await put({ textDataDeliveryEnabled: false });
    assert.deepEqual((await control.send(new GetModelInvocationLoggingConfigurationCommand({}))).loggingConfig, { textDataDeliveryEnabled: false });
    const out = await converse(SECRET_PROMPT);
    const [record] = await waitFor(async () => ((await fileRecords()).length ? fileRecords() : undefined), "a log record");
    assert.equal(record!.schemaType, "ModelInvocationLog");
    assert.equal(record!.operation, "Converse");
    assert.equal(record!.modelId, "mock.echo");
    assert.equal(record!.accountId, ACCOUNT);
    assert.deepEqual(record!.identity, { arn: `arn:aws:iam::${ACCOUNT}:root` });
    assert.deepEqual(record!.input, { inputContentType: "application/json", inputTokenCount: out.usage!.inputTokens });
    assert.deepEqual(record!.output, { outputContentType: "application/json", outputTokenCount: out.usage!.outputTokens });
  });

  it("with textDataDeliveryEnabled logs request and response bodies, secrets redacted, streams assembled, failures with their error", async () => {
    await put({ textDataDeliveryEnabled: true });
    await converse(SECRET_PROMPT);
    const stream = await runtime.send(new ConverseStreamCommand({ modelId: "mock.echo", messages: [{ role: "user", content: [{ text: "stream this back" }] }] }));
    let streamedOutputTokens: number | undefined;
    for await (const event of stream.stream!) streamedOutputTokens ??= event.metadata?.usage?.outputTokens;
    await assert.rejects(converse("fail please", "mock.failing"), { name: "ModelErrorException" });
    const records = await waitFor(async () => ((await fileRecords()).length >= 4 ? fileRecords() : undefined), "three more records");
    // Encrypted at rest: not even the redacted prompt is readable in the file.
    assert.ok(!readFileSync(logFile, "utf8").includes("Remember"), "the log file holds ciphertext only");
    const text = JSON.stringify(records);
    for (const secret of [AWS_KEY_ID, OPENAI_KEY, BASALT_KEY]) assert.ok(!text.includes(secret), `leaked ${secret.slice(0, 10)}…`);

    const withContent = records.find((r) => r.operation === "Converse" && r.input.inputBodyJson !== undefined)!;
    const prompt = (withContent.input.inputBodyJson as { messages: Array<{ content: Array<{ text: string }> }> }).messages[0]!.content[0]!.text;
    assert.equal(prompt, "Remember AKIA[REDACTED], sk-[REDACTED] and basalt_abcdefghijkl_[REDACTED] for me.");
    const reply = (withContent.output.outputBodyJson as { output: { message: { content: Array<{ text: string }> } } }).output.message.content[0]!.text;
    assert.equal(reply, prompt, "the echoed answer is redacted too");

    const streamed = records.find((r) => r.operation === "ConverseStream")!;
    assert.deepEqual((streamed.output.outputBodyJson as { output: unknown }).output, { message: { role: "assistant", content: [{ text: "stream this back" }] } });
    assert.equal(streamed.output.outputTokenCount, streamedOutputTokens);

    const failed = records.find((r) => r.modelId === "mock.failing")!;
    assert.equal(failed.errorCode, "ModelErrorException");
    assert.equal(failed.output.outputBodyJson, undefined);
  });

  it("delivers to S3 as gzipped JSON Lines in Bedrock's key layout when the configuration names a bucket", async () => {
    const before = (await fileRecords()).length;
    await put({ s3Config: { bucketName: LOG_BUCKET, keyPrefix: "bedrock" }, textDataDeliveryEnabled: true });
    assert.deepEqual((await control.send(new GetModelInvocationLoggingConfigurationCommand({}))).loggingConfig?.s3Config, { bucketName: LOG_BUCKET, keyPrefix: "bedrock" });
    await Promise.all([converse(`first ${OPENAI_KEY}`), converse("second")]);
    const records = await waitFor(async () => {
      const found = await s3Records();
      return found.length >= 2 ? found : undefined;
    }, "records in S3");
    assert.equal(records.length, 2);
    assert.deepEqual(records.map((r) => r.modelId), ["mock.echo", "mock.echo"]);
    const texts = records.map((r) => (r.input.inputBodyJson as { messages: Array<{ content: Array<{ text: string }> }> }).messages[0]!.content[0]!.text).sort();
    assert.deepEqual(texts, ["first sk-[REDACTED]", "second"]);
    assert.equal((await fileRecords()).length, before, "nothing went to the data directory");
  });

  it("never fails a call when delivery fails (a bucket that does not exist)", async () => {
    await put({ s3Config: { bucketName: "no-such-bucket" } });
    const out = await converse("still answered");
    assert.equal(out.stopReason, "end_turn");
  });

  it("stops logging after DeleteModelInvocationLoggingConfiguration", async () => {
    await control.send(new DeleteModelInvocationLoggingConfigurationCommand({}));
    assert.equal((await control.send(new GetModelInvocationLoggingConfigurationCommand({}))).loggingConfig, undefined);
    const inFiles = (await fileRecords()).length;
    const inS3 = (await s3Records()).length;
    await converse("not logged");
    await sleep(200);
    assert.equal((await fileRecords()).length, inFiles);
    assert.equal((await s3Records()).length, inS3);
  });
});
