// Invocation logging: Bedrock's configuration rules and the records it writes (redacted, content
// only when enabled), read back through the encrypted files' reader (invocation-log-files.test.ts
// covers the files themselves).
import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BasaltError } from "../spec/errors.ts";
import { EnvelopeEncryption } from "../store/crypto/envelope-encryption.ts";
import { FileWrappedKeyStore } from "../store/crypto/file-wrapped-key-store.ts";
import { LocalKeyProvider } from "../store/crypto/local-key-provider.ts";
import { FileInvocationLogSink, readInvocationLogs } from "./invocation-log-files.ts";
import { InvocationLogWriter, type InvocationLogInput, type InvocationLogRecord, type InvocationLogSink, type LogDestination } from "./invocation-log-writer.ts";
import { FileLoggingConfigStore, MemoryLoggingConfigStore, parsePutLoggingRequest } from "./invocation-logging-config.ts";
import { redactSecrets, redactString } from "./redact.ts";

const dirs: string[] = [];
let keys: LocalKeyProvider;
let encryption: EnvelopeEncryption;
before(async () => {
  const keyDir = await tempDir();
  keys = await LocalKeyProvider.open({ path: join(keyDir, "master.key"), reloadIntervalMs: 0 });
  encryption = new EnvelopeEncryption({ keys, store: new FileWrappedKeyStore(join(keyDir, "keys")) });
});
after(async () => {
  encryption.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
const fileSink = (dir: string) => new FileInvocationLogSink({ dir, encryption });

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "basalt-invlog-"));
  dirs.push(dir);
  return dir;
}

const ACCOUNT = "111122223333";
const AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE";
const AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const OPENAI_KEY = "sk-proj-abcdefghijklmnopqrstuvwx";
const IMAGE = Buffer.alloc(600, 7).toString("base64");

/** A Converse call whose prompt carries secrets a user pasted, an image, and request metadata. */
const converse = (over: Partial<InvocationLogInput> = {}): InvocationLogInput => ({
  accountId: ACCOUNT,
  region: "us-east-1",
  requestId: "5ae7a2e1-0000-4000-8000-000000000001",
  operation: "Converse",
  modelId: "anthropic.claude-3-5-sonnet",
  identityArn: `arn:aws:iam::${ACCOUNT}:user/alice`,
  timestamp: new Date("2025-06-10T08:30:15.123Z"),
  inputBody: {
    messages: [
      {
        role: "user",
        content: [
          { text: `My keys are ${AWS_KEY_ID} and aws_secret_access_key=${AWS_SECRET}; OpenAI ${OPENAI_KEY}. Summarise the picture.` },
          { image: { format: "png", source: { bytes: IMAGE } } },
        ],
      },
    ],
    inferenceConfig: { maxTokens: 256 },
    requestMetadata: { Authorization: "Bearer abcdefghijklmnop", team: "search" },
  },
  inputTokenCount: 42,
  outputBody: { output: { message: { role: "assistant", content: [{ text: "A cat." }] } }, stopReason: "end_turn", usage: { inputTokens: 42, outputTokens: 3, totalTokens: 45 } },
  outputTokenCount: 3,
  ...over,
});

/** The records of the log directory `dir`, decrypted; any unreadable line fails the test. */
async function readRecords(dir: string, selection: { from?: string; to?: string } = {}): Promise<InvocationLogRecord[]> {
  const records: InvocationLogRecord[] = [];
  for await (const record of readInvocationLogs({ dir, encryption, ...selection, onUnreadable: (line) => assert.fail(JSON.stringify(line)) })) records.push(record);
  return records;
}

describe("PutModelInvocationLoggingConfiguration validation", () => {
  it("accepts Bedrock's LoggingConfig and ignores unknown members", () => {
    const config = parsePutLoggingRequest({
      loggingConfig: {
        s3Config: { bucketName: "my-logs.bucket", keyPrefix: "bedrock/" },
        cloudWatchConfig: { logGroupName: "/bedrock/invocations", roleArn: `arn:aws:iam::${ACCOUNT}:role/Logs`, largeDataDeliveryS3Config: { bucketName: "big-logs" } },
        textDataDeliveryEnabled: true,
        imageDataDeliveryEnabled: false,
        embeddingDataDeliveryEnabled: false,
        futureField: 1,
      },
    });
    assert.deepEqual(config, {
      s3Config: { bucketName: "my-logs.bucket", keyPrefix: "bedrock/" },
      cloudWatchConfig: { logGroupName: "/bedrock/invocations", roleArn: `arn:aws:iam::${ACCOUNT}:role/Logs`, largeDataDeliveryS3Config: { bucketName: "big-logs" } },
      textDataDeliveryEnabled: true,
      imageDataDeliveryEnabled: false,
      embeddingDataDeliveryEnabled: false,
    });
  });

  it("rejects invalid fields with ValidationException naming the field", () => {
    const cases: Array<[unknown, string]> = [
      [{}, "loggingConfig"],
      [{ loggingConfig: { s3Config: { bucketName: "ab" } } }, "loggingConfig.s3Config.bucketName"],
      [{ loggingConfig: { s3Config: { bucketName: "Upper_Case" } } }, "loggingConfig.s3Config.bucketName"],
      [{ loggingConfig: { s3Config: {} } }, "loggingConfig.s3Config.bucketName"],
      [{ loggingConfig: { s3Config: { bucketName: "ok-bucket", keyPrefix: "x".repeat(1025) } } }, "loggingConfig.s3Config.keyPrefix"],
      [{ loggingConfig: { cloudWatchConfig: { logGroupName: "g", roleArn: "not-an-arn" } } }, "loggingConfig.cloudWatchConfig.roleArn"],
      [{ loggingConfig: { textDataDeliveryEnabled: "yes" } }, "loggingConfig.textDataDeliveryEnabled"],
    ];
    for (const [body, field] of cases) {
      assert.throws(
        () => parsePutLoggingRequest(body as Record<string, unknown>),
        (error: unknown) => error instanceof BasaltError && error.code === "VALIDATION" && error.message.includes(`'${field}'`),
        field,
      );
    }
  });

  it("persists configurations across restarts (Get after Put, gone after Delete)", async () => {
    const path = join(await tempDir(), "invocation-logging.json");
    const store = new FileLoggingConfigStore(path);
    await store.put(ACCOUNT, { textDataDeliveryEnabled: true });
    assert.deepEqual(await new FileLoggingConfigStore(path).get(ACCOUNT), { textDataDeliveryEnabled: true });
    assert.equal((await stat(path)).mode & 0o077, 0, "readable by the owner only");
    await store.delete(ACCOUNT);
    assert.equal(await new FileLoggingConfigStore(path).get(ACCOUNT), undefined);
  });
});

describe("InvocationLogWriter", () => {
  it("is off by default: no configuration, no record, no file", async () => {
    const dir = await tempDir();
    const writer = new InvocationLogWriter({ configs: new MemoryLoggingConfigStore(), fileSink: fileSink(dir) });
    assert.equal(await writer.log(converse()), undefined);
    await writer.close();
    await assert.rejects(stat(join(dir, ACCOUNT)), { code: "ENOENT" });
  });

  it("writes Bedrock-shaped records without content unless textDataDeliveryEnabled", async () => {
    const dir = await tempDir();
    const configs = new MemoryLoggingConfigStore();
    await configs.put(ACCOUNT, { textDataDeliveryEnabled: false });
    const writer = new InvocationLogWriter({ configs, fileSink: fileSink(dir) });
    await writer.log(converse());
    const [record] = await readRecords(dir);
    assert.deepEqual(record, {
      schemaType: "ModelInvocationLog",
      schemaVersion: "1.0",
      timestamp: "2025-06-10T08:30:15Z",
      accountId: ACCOUNT,
      identity: { arn: `arn:aws:iam::${ACCOUNT}:user/alice` },
      region: "us-east-1",
      requestId: "5ae7a2e1-0000-4000-8000-000000000001",
      operation: "Converse",
      modelId: "anthropic.claude-3-5-sonnet",
      input: { inputContentType: "application/json", inputTokenCount: 42 },
      output: { outputContentType: "application/json", outputTokenCount: 3 },
    });
  });

  it("includes content when enabled, with secrets redacted and disabled media omitted", async () => {
    const dir = await tempDir();
    const configs = new MemoryLoggingConfigStore();
    await configs.put(ACCOUNT, { textDataDeliveryEnabled: true, imageDataDeliveryEnabled: false });
    const writer = new InvocationLogWriter({ configs, fileSink: fileSink(dir) });
    await Promise.all([writer.log(converse()), writer.log(converse({ requestId: "r2", errorCode: "ThrottlingException", outputBody: undefined, outputTokenCount: undefined }))]);
    await writer.close();
    const records = await readRecords(dir);
    const text = records.map((record) => JSON.stringify(record)).join("\n");
    for (const secret of [AWS_KEY_ID, AWS_SECRET, OPENAI_KEY, "abcdefghijklmnop", IMAGE]) assert.ok(!text.includes(secret), `leaked ${secret.slice(0, 8)}…`);
    assert.equal(records.length, 2);
    const input = records[0]!.input.inputBodyJson as { messages: Array<{ content: Array<Record<string, any>> }>; requestMetadata: Record<string, string>; inferenceConfig: unknown };
    assert.equal(input.messages[0]!.content[0]!.text, "My keys are AKIA[REDACTED] and aws_secret_access_key=[REDACTED]; OpenAI sk-[REDACTED]. Summarise the picture.");
    assert.equal(input.messages[0]!.content[1]!.image.source.bytes, "[image data omitted]");
    assert.deepEqual(input.requestMetadata, { Authorization: "[REDACTED]", team: "search" });
    assert.deepEqual(input.inferenceConfig, { maxTokens: 256 }, "token fields are not mistaken for secrets");
    assert.deepEqual(records[0]!.output.outputBodyJson, converse().outputBody);
    assert.equal(records[1]!.errorCode, "ThrottlingException");
    assert.deepEqual(records[1]!.output, { outputContentType: "application/json" });
  });

  it("keeps images and embeddings only under their own delivery flags", async () => {
    const dir = await tempDir();
    const configs = new MemoryLoggingConfigStore();
    const writer = new InvocationLogWriter({ configs, fileSink: fileSink(dir) });
    const embed = converse({ operation: "InvokeModel", modelId: "amazon.titan-embed-text-v2:0", inputBody: { inputText: "hello" }, outputBody: { embedding: [0.1, -0.2, 0.3], inputTextTokenCount: 2 } });
    await configs.put(ACCOUNT, { textDataDeliveryEnabled: true });
    const omitted = (await writer.log(embed))!.output.outputBodyJson as { embedding: unknown; inputTextTokenCount: number };
    assert.deepEqual(omitted, { embedding: "[embedding omitted]", inputTextTokenCount: 2 });
    await configs.put(ACCOUNT, { textDataDeliveryEnabled: true, embeddingDataDeliveryEnabled: true, imageDataDeliveryEnabled: true });
    assert.deepEqual(((await writer.log(embed))!.output.outputBodyJson as any).embedding, [0.1, -0.2, 0.3]);
    const withImage = (await writer.log(converse()))!.input.inputBodyJson as any;
    assert.equal(withImage.messages[0].content[1].image.source.bytes, IMAGE);
  });

  it("sends accounts with an s3Config to the S3 sink when one is available", async () => {
    const written: Array<[InvocationLogRecord, LogDestination]> = [];
    // The object store's S3 sink does not exist yet; this stand-in records what it would receive.
    const s3Sink: InvocationLogSink = { write: async (record, destination) => void written.push([record, destination]), close: async () => {} };
    const dir = await tempDir();
    const configs = new MemoryLoggingConfigStore();
    await configs.put(ACCOUNT, { s3Config: { bucketName: "logs", keyPrefix: "bedrock/" } });
    const writer = new InvocationLogWriter({ configs, fileSink: fileSink(dir), s3Sink });
    await writer.log(converse());
    assert.deepEqual(written[0]![1], { kind: "s3", bucketName: "logs", keyPrefix: "bedrock/" });
    assert.equal(written[0]![0].modelId, "anthropic.claude-3-5-sonnet");
    await assert.rejects(stat(join(dir, ACCOUNT)), { code: "ENOENT" });
  });

  it("keeps path segments from request ids inside the log directory", () => {
    const sink = fileSink("/data/logs");
    const record = { accountId: "../../etc", region: "us/east", timestamp: "2025-06-10T00:00:00Z" } as InvocationLogRecord;
    assert.equal(sink.pathOf(record), "/data/logs/__.._etc/us_east/2025-06-10.jsonl.enc");
  });
});

describe("redaction", () => {
  it("redacts secret keys by name and secret-looking strings anywhere", () => {
    const redacted = redactSecrets({
      headers: { authorization: "AWS4-HMAC-SHA256 Credential=AKIA/...", "x-api-key": "k", "X-Amz-Security-Token": "t", "content-type": "application/json" },
      config: { apiKey: "abc", secretAccessKey: AWS_SECRET, password: "hunter2", maxTokens: 100, inputTokenCount: 5, nextToken: "page2" },
      notes: ["token: abcdef123456", "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"],
    });
    assert.deepEqual(redacted, {
      headers: { authorization: "[REDACTED]", "x-api-key": "[REDACTED]", "X-Amz-Security-Token": "[REDACTED]", "content-type": "application/json" },
      config: { apiKey: "[REDACTED]", secretAccessKey: "[REDACTED]", password: "[REDACTED]", maxTokens: 100, inputTokenCount: 5, nextToken: "page2" },
      notes: ["token: [REDACTED]", "-----BEGIN RSA PRIVATE KEY-----[REDACTED]", "ghp_[REDACTED]"],
    });
    assert.equal(redactString("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"), "Authorization: Bearer [REDACTED]");
    assert.equal(redactString("key bsk_live_0123456789abcdef", [/\b(bsk_live_)[0-9a-f]{16}/g]), "key bsk_live_[REDACTED]");
    assert.equal(redactString("The max tokens were 500 and the cat sat."), "The max tokens were 500 and the cat sat.");
  });
});
