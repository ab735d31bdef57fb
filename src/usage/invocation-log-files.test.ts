// Invocation logs in the data directory, encrypted at rest: a unique marker in logged prompts is
// not findable in the directory's bytes, the reader (and `basalt usage logs`, in a child process)
// gives the records back, torn or altered lines are skipped and reported, and a disabled key
// fails closed for writing and reading.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createTestDatabase, PG_SKIP_REASON } from "../../test/helpers/postgres.ts";
import { BasaltError } from "../spec/errors.ts";
import { scanForMarker } from "../store/crypto/at-rest-scan.fixture.ts";
import type { EnvelopeEncryption } from "../store/crypto/envelope-encryption.ts";
import { LocalKeyProvider } from "../store/crypto/local-key-provider.ts";
import { openEncryption } from "../store/crypto/open-encryption.ts";
import { migrate } from "../store/db/migrate.ts";
import { openDatabase } from "../store/db/open-database.ts";
import { FileInvocationLogSink, readInvocationLogs, type UnreadableLine } from "./invocation-log-files.ts";
import { InvocationLogWriter, type InvocationLogInput, type InvocationLogRecord } from "./invocation-log-writer.ts";
import { MemoryLoggingConfigStore } from "./invocation-logging-config.ts";

const BIN = join(import.meta.dirname, "..", "..", "bin", "basalt.js");
const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

/** A data directory with its own key file, as the server lays it out. */
async function dataDirectory(): Promise<{ dataDir: string; logDir: string; encryption: EnvelopeEncryption; keys: LocalKeyProvider }> {
  const dataDir = await mkdtemp(join(tmpdir(), "basalt-logfiles-"));
  dirs.push(dataDir);
  // The server's key file, <dataDir>/master.key, through a provider the test can disable keys on.
  const keys = await LocalKeyProvider.open({ path: join(dataDir, "master.key"), reloadIntervalMs: 0 });
  const encryption = await openEncryption({ dataDir, keys });
  return { dataDir, logDir: join(dataDir, "invocation-logs"), encryption, keys };
}

const call = (over: Partial<InvocationLogInput>): InvocationLogInput => ({
  accountId: "111122223333",
  region: "us-east-1",
  requestId: randomUUID(),
  operation: "Converse",
  modelId: "mock.echo",
  timestamp: new Date("2025-06-10T08:30:15Z"),
  inputBody: { messages: [{ role: "user", content: [{ text: "hello" }] }] },
  outputBody: { output: { message: { role: "assistant", content: [{ text: "hi" }] } } },
  ...over,
});

async function writeLogs(encryption: EnvelopeEncryption, logDir: string, inputs: InvocationLogInput[]): Promise<void> {
  const configs = new MemoryLoggingConfigStore();
  for (const account of new Set(inputs.map((i) => i.accountId))) await configs.put(account, { textDataDeliveryEnabled: true });
  const writer = new InvocationLogWriter({ configs, fileSink: new FileInvocationLogSink({ dir: logDir, encryption }) });
  for (const input of inputs) await writer.log(input);
  await writer.close();
}

async function read(encryption: EnvelopeEncryption, logDir: string, selection: { accountId?: string; from?: string; to?: string } = {}) {
  const records: InvocationLogRecord[] = [];
  const unreadable: UnreadableLine[] = [];
  for await (const record of readInvocationLogs({ dir: logDir, encryption, ...selection, onUnreadable: (line) => unreadable.push(line) })) records.push(record);
  return { records, unreadable };
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(BASALT_|AWS_)/.test(key)) env[key] = value;
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d));
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

describe("invocation log files", () => {
  let dataDir: string;
  let logDir: string;
  let encryption: EnvelopeEncryption;
  let keys: LocalKeyProvider;
  const marker = `log-marker-${randomUUID()}`;

  before(async () => {
    ({ dataDir, logDir, encryption, keys } = await dataDirectory());
    await writeLogs(encryption, logDir, [
      call({ inputBody: { messages: [{ role: "user", content: [{ text: `say ${marker}` }] }] } }),
      call({ timestamp: new Date("2025-06-11T09:00:00Z"), outputBody: { output: { message: { content: [{ text: marker }] } } } }),
      call({ accountId: "444455556666", inputBody: { prompt: marker } }),
    ]);
  });
  after(() => encryption.close());

  it("keeps logged content out of the data directory's bytes; the reader gives every record back", async () => {
    const scan = await scanForMarker(dataDir, marker);
    assert.deepEqual(scan.hits, []);
    assert.ok(scan.filesScanned >= 4, `${scan.filesScanned} files`);
    const { records, unreadable } = await read(encryption, logDir);
    assert.deepEqual(unreadable, []);
    assert.equal(records.length, 3);
    assert.ok(records.every((r) => JSON.stringify(r).includes(marker)));
    assert.deepEqual((await read(encryption, logDir, { accountId: "111122223333", from: "2025-06-11" })).records.map((r) => r.timestamp), ["2025-06-11T09:00:00Z"]);
    assert.equal((await read(encryption, logDir, { accountId: "444455556666", to: "2025-06-10" })).records.length, 1);
    // The control: the same records in the clear are found by the same scan.
    await writeFile(join(dataDir, "control.jsonl"), records.map((r) => JSON.stringify(r)).join("\n"));
    assert.deepEqual((await scanForMarker(dataDir, marker)).hits, ["control.jsonl"]);
    await rm(join(dataDir, "control.jsonl"));
  });

  it("`basalt usage logs` prints the records decrypted, as JSON Lines, by account and day", async () => {
    const all = await runCli(["usage", "logs", "--data-dir", dataDir]);
    assert.equal(all.code, 0, all.stderr);
    const lines = all.stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as InvocationLogRecord);
    assert.equal(lines.length, 3);
    assert.ok(lines.every((r) => r.schemaType === "ModelInvocationLog" && JSON.stringify(r).includes(marker)));
    const one = await runCli(["usage", "logs", "--data-dir", dataDir, "--account", "111122223333", "--from", "2025-06-11", "--to", "2025-06-11"]);
    assert.deepEqual(one.stdout.trimEnd().split("\n").map((line) => (JSON.parse(line) as InvocationLogRecord).timestamp), ["2025-06-11T09:00:00Z"]);
    const none = await runCli(["usage", "logs", "--data-dir", dataDir, "--account", "999999999999"]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /No invocation logs of account 999999999999/);
  });

  it("skips and reports a torn, an altered and a moved line, keeping the records around them", async () => {
    const own = await dataDirectory();
    try {
      const input = (n: number, day = "2025-06-10") => call({ requestId: `r${n}`, timestamp: new Date(`${day}T00:00:0${n}Z`) });
      await writeLogs(own.encryption, own.logDir, [input(1), input(2), input(3, "2025-06-12")]);
      const file = join(own.logDir, "111122223333", "us-east-1", "2025-06-10.jsonl.enc");
      const [first, second] = (await readFile(file, "utf8")).trimEnd().split("\n") as [string, string];
      // A crash mid-write leaves half a line, which the next write continues.
      await appendFile(file, second.slice(0, 40));
      await writeLogs(own.encryption, own.logDir, [input(4)]);
      // An altered line, and a line moved here from another day's file.
      const at = first.length - 5; // in the last segment's tag: a damaged header could name another key instead
      const altered = `${first.slice(0, at)}${first[at] === "A" ? "B" : "A"}${first.slice(at + 1)}`;
      const moved = (await readFile(join(own.logDir, "111122223333", "us-east-1", "2025-06-12.jsonl.enc"), "utf8")).trimEnd();
      await appendFile(file, `${altered}\n${moved}\n`);
      const { records, unreadable } = await read(own.encryption, own.logDir, { to: "2025-06-10" });
      assert.deepEqual(records.map((r) => r.requestId), ["r1", "r2", "r4"]);
      assert.deepEqual(unreadable.map((u) => u.line), [3, 4, 5]);
      assert.ok(unreadable.every((u) => u.path === file && /integrity/.test(u.reason)));
    } finally {
      own.encryption.close();
    }
  });

  it("a disabled master key stops writing (nothing in the clear) and reading, with AccessDeniedException", async () => {
    const own = await dataDirectory();
    try {
      await writeLogs(own.encryption, own.logDir, [call({ requestId: "before" })]);
      const primary = await own.keys.primaryKeyId();
      await own.keys.disableKey(primary);
      const unavailable = (e: unknown) => e instanceof BasaltError && e.code === "KEY_UNAVAILABLE" && e.name === "AccessDeniedException";
      await assert.rejects(writeLogs(own.encryption, own.logDir, [call({ requestId: "during", inputBody: { prompt: marker } })]), unavailable);
      await assert.rejects(read(own.encryption, own.logDir), unavailable);
      assert.deepEqual((await scanForMarker(own.dataDir, marker)).hits, []);
      const cli = await runCli(["usage", "logs", "--data-dir", own.dataDir]);
      assert.equal(cli.code, 1);
      assert.match(cli.stderr, /disabled/);
      await own.keys.enableKey(primary);
      assert.deepEqual((await read(own.encryption, own.logDir)).records.map((r) => r.requestId), ["before"]);
    } finally {
      own.encryption.close();
    }
  });

  it("`basalt usage logs` finds the data keys in the database when the metadata database is PostgreSQL", { skip: PG_SKIP_REASON }, async () => {
    const database = await createTestDatabase();
    const dataDir = await mkdtemp(join(tmpdir(), "basalt-logfiles-pg-"));
    dirs.push(dataDir);
    const db = openDatabase({ url: database.url });
    try {
      await migrate(db);
      // As the server on PostgreSQL seals them: wrapped data keys in the database, none in <dataDir>/keys.
      const encryption = await openEncryption({ dataDir, db });
      await writeLogs(encryption, join(dataDir, "invocation-logs"), [call({ requestId: "on-postgres" })]);
      encryption.close();
      const configFile = join(dataDir, "basalt.json");
      await writeFile(configFile, JSON.stringify({ dataDir, database: { url: database.url } }));
      const cli = await runCli(["usage", "logs", "--config", configFile]);
      assert.equal(cli.code, 0, cli.stderr);
      assert.equal((JSON.parse(cli.stdout) as InvocationLogRecord).requestId, "on-postgres");
    } finally {
      await db.close();
      await database.drop();
    }
  });
});
