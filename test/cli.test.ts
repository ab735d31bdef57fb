// The `basalt` command line end to end: every test spawns `node bin/basalt.js …` as a real
// child process. `models pull` downloads from a local node:http stand-in for Hugging Face
// serving a real GGUF (with Range support); `chat` talks to a real in-process server.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SHARED_MODELS, startTestServer, type TestServer } from "./helpers/server.ts";

const BIN = join(import.meta.dirname, "..", "bin", "basalt.js");
const STORIES = join(SHARED_MODELS, "stories260K.gguf");
const STORIES_SHA256 = "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d";

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "basalt-cli-"));
  temps.push(dir);
  return dir;
}
after(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

// The children must not pick up the developer's own settings or secrets.
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(BASALT_|HF_|AWS_)/.test(key)) env[key] = value;
  }
  return { ...env, NO_COLOR: "1", BASALT_LOG_LEVEL: "silent", ...extra };
}

const children: ChildProcess[] = [];
// A failed assertion must not leave a server or chat running and hang the test file.
after(() => children.forEach((child) => child.exitCode === null && child.kill("SIGKILL")));

/** Starts the CLI with piped stdio. */
function spawnCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env), stdio: ["pipe", "pipe", "pipe"] });
  children.push(child);
  return child;
}

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion, feeding `input` on stdin. */
function runCli(args: string[], options: { env?: Record<string, string>; input?: string } = {}): Promise<CliResult> {
  const child = spawnCli(args, options.env);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d));
  child.stderr!.on("data", (d: Buffer) => (stderr += d));
  child.stdin!.end(options.input ?? "");
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Resolves with the first match of `pattern` in the accumulated output of `stream`. */
function waitFor(stream: NodeJS.ReadableStream, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  let text = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; got: ${text}`)), timeoutMs);
    const onData = (d: Buffer) => {
      text += d;
      const match = text.match(pattern);
      if (match) {
        clearTimeout(timer);
        stream.off("data", onData);
        resolve(match);
      }
    };
    stream.on("data", onData);
  });
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

describe("basalt CLI", () => {
  it("--help lists the commands", async () => {
    const top = await runCli(["--help"]);
    assert.equal(top.code, 0);
    for (const command of ["serve", "models", "chat"]) assert.match(top.stdout, new RegExp(`^\\s+${command}\\b`, "m"));
    const models = await runCli(["models", "--help"]);
    for (const command of ["list", "pull", "import"]) assert.match(models.stdout, new RegExp(`^\\s+${command}\\b`, "m"));
  });

  describe("serve", () => {
    it("exits 2 naming the exact path of an invalid configuration value", async () => {
      const file = join(tempDir(), "basalt.yaml");
      writeFileSync(file, "models:\n  - provider: nonsense\n    id: broken\n");
      const result = await runCli(["serve", "--config", file, "--port", "0"]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /models\[0\]\.provider/);
    });

    it("starts on a free port, answers, and exits 0 on SIGTERM", async () => {
      const dataDir = tempDir();
      const child = spawnCli(["serve", "--port", "0", "--data-dir", dataDir]);
      const code = exited(child);
      const [, url] = await waitFor(child.stderr!, /serving \d+ models? at (http:\/\/\S+)/);
      const response = await fetch(`${url}/foundation-models`);
      assert.equal(response.status, 200);
      const body = (await response.json()) as { modelSummaries: Array<{ modelId: string }> };
      assert.ok(Array.isArray(body.modelSummaries));
      child.kill("SIGTERM");
      assert.equal(await code, 0);
    });
  });

  describe("models import and list", () => {
    it("imports a GGUF and lists it as local.<stem>", async () => {
      const dataDir = tempDir();
      const imported = await runCli(["models", "import", STORIES, "--data-dir", dataDir]);
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stdout, /model id: local\.stories260k/);
      assert.equal(sha256(join(dataDir, "models", "stories260K.gguf")), STORIES_SHA256);

      const config = join(dataDir, "basalt.json");
      writeFileSync(config, JSON.stringify({ models: [{ provider: "mock", id: "mock.embed", embedding: true }] }));
      const listed = await runCli(["models", "list", "--config", config, "--data-dir", dataDir, "--json"]);
      assert.equal(listed.code, 0, listed.stderr);
      type Listed = { id: string; provider: string; source: string; origin: string; outputModalities: string[]; streaming: boolean };
      const { models } = JSON.parse(listed.stdout) as { models: Listed[] };
      assert.deepEqual(models.map((m) => m.id), ["mock.embed", "basalt.use-lite-v1", "local.stories260k"]);
      assert.deepEqual([models[0]?.origin, models[0]?.outputModalities, models[0]?.streaming], ["config", ["EMBEDDING"], false]);
      const local = models.find((m) => m.id === "local.stories260k");
      assert.equal(local?.provider, "llama-cpp");
      assert.equal(local?.source, join(dataDir, "models", "stories260K.gguf"));

      const table = await runCli(["models", "list", "--data-dir", dataDir]);
      assert.match(table.stdout, /^ID\s+PROVIDER\s+MODALITIES\s+STREAMING\s+SOURCE/m);
      assert.match(table.stdout, /local\.stories260k\s+llama-cpp\s+TEXT → TEXT\s+yes/);
    });

    it("refuses a file that is not GGUF, saying why", async () => {
      const dataDir = tempDir();
      const fake = join(tempDir(), "weights.gguf");
      writeFileSync(fake, "<html>not a model</html>");
      const result = await runCli(["models", "import", fake, "--data-dir", dataDir]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /is not a GGUF model file: it starts with "<htm" instead of the GGUF magic/);
      assert.equal(existsSync(join(dataDir, "models", "weights.gguf")), false);
    });
  });

  describe("models pull", () => {
    let hub: Server;
    let endpoint: string;
    const requests: IncomingMessage[] = [];
    const model = readFileSync(STORIES);

    before(async () => {
      // A stand-in for huggingface.co: /<owner>/<repo>/resolve/<revision>/<file>, with Range.
      hub = createServer((req, res) => {
        requests.push(req);
        if (req.url === "/ggml-org/models/resolve/main/notes.gguf") {
          res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><p>a page, not a model</p>");
          return;
        }
        if (req.url !== "/ggml-org/models/resolve/main/tinyllamas/stories260K.gguf") {
          res.writeHead(404, { "x-error-code": "EntryNotFound" }).end("Entry not found");
          return;
        }
        const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
        const start = range ? Number(range[1]) : 0;
        if (start >= model.length) {
          res.writeHead(416, { "content-range": `bytes */${model.length}` }).end();
          return;
        }
        const headers = { "content-length": String(model.length - start), "accept-ranges": "bytes" };
        if (range) res.writeHead(206, { ...headers, "content-range": `bytes ${start}-${model.length - 1}/${model.length}` });
        else res.writeHead(200, headers);
        res.end(model.subarray(start));
      });
      await new Promise<void>((resolve) => hub.listen(0, "127.0.0.1", resolve));
      endpoint = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((resolve) => hub.close(() => resolve())));

    const REF = "ggml-org/models/tinyllamas/stories260K.gguf";

    it("downloads a GGUF with the HF_TOKEN bearer header and never prints the token", async () => {
      const dataDir = tempDir();
      const token = "hf_secretTokenValue123";
      const result = await runCli(["models", "pull", REF, "--data-dir", dataDir], { env: { BASALT_HF_ENDPOINT: endpoint, HF_TOKEN: token } });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(sha256(join(dataDir, "models", "stories260K.gguf")), STORIES_SHA256);
      assert.equal(existsSync(join(dataDir, "models", "stories260K.gguf.part")), false);
      assert.match(result.stdout, /model id: local\.stories260k/);
      assert.equal(requests.at(-1)?.headers.authorization, `Bearer ${token}`);
      assert.doesNotMatch(result.stdout + result.stderr, new RegExp(token));
    });

    it("resumes from an existing .part file with a Range request and checks the sha256", async () => {
      const dataDir = tempDir();
      mkdirSync(join(dataDir, "models"));
      writeFileSync(join(dataDir, "models", "stories260K.gguf.part"), model.subarray(0, 400_000));
      const args = ["models", "pull", REF, "--data-dir", dataDir, "--endpoint", endpoint, "--sha256", STORIES_SHA256];
      const result = await runCli(args);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(requests.at(-1)?.headers.range, "bytes=400000-");
      assert.match(result.stdout, /Resuming from 400 kB of 1\.2 MB/);
      assert.equal(sha256(join(dataDir, "models", "stories260K.gguf")), STORIES_SHA256);

      const again = await runCli(args);
      assert.equal(again.code, 0);
      assert.match(again.stdout, /already in .*; it is served as local\.stories260k/);
    });

    it("deletes the download and fails on a sha256 mismatch", async () => {
      const dataDir = tempDir();
      const wrong = "0".repeat(64);
      const result = await runCli(["models", "pull", REF, "--data-dir", dataDir, "--endpoint", endpoint, "--sha256", wrong]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`sha256 mismatch: expected ${wrong}, got ${STORIES_SHA256}`));
      assert.equal(existsSync(join(dataDir, "models", "stories260K.gguf")), false);
      assert.equal(existsSync(join(dataDir, "models", "stories260K.gguf.part")), false);
    });

    it("explains a 404, a file that is not GGUF and an unreachable endpoint", async () => {
      const dataDir = tempDir();
      const missing = await runCli(["models", "pull", "ggml-org/models/nope.gguf", "--data-dir", dataDir, "--endpoint", endpoint]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no such file in repo ggml-org\/models at revision main: nope\.gguf/);

      const html = await runCli(["models", "pull", "ggml-org/models/notes.gguf", "--data-dir", dataDir, "--endpoint", endpoint]);
      assert.equal(html.code, 1);
      assert.match(html.stderr, /not in GGUF format/);
      assert.equal(existsSync(join(dataDir, "models", "notes.gguf.part")), false);

      // A port that was just free: nothing listens there.
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
      const closedPort = (probe.address() as AddressInfo).port;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      const down = await runCli(["models", "pull", REF, "--data-dir", dataDir, "--endpoint", `http://127.0.0.1:${closedPort}`]);
      assert.equal(down.code, 1);
      assert.match(down.stderr, /cannot download from .*ECONNREFUSED/);
      assert.match(down.stderr, /basalt models import/);
    });
  });

  describe("chat", () => {
    let server: TestServer;

    before(async () => {
      server = await startTestServer({
        models: [
          { provider: "mock", id: "mock.echo" },
          { provider: "mock", id: "mock.slow", chunkSize: 2, chunkDelayMs: 50 },
        ],
      });
    });
    after(() => server.stop());

    it("streams echoed answers for piped lines, keeps history, and /reset clears it", async () => {
      const input = "ping\nping\n/reset\nping\n";
      const result = await runCli(["chat", "mock.echo", "--endpoint", server.url, "--usage"], { input });
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(result.stdout.split("\n").filter(Boolean), ["ping", "ping", "ping"]);
      assert.match(result.stderr, /History cleared \(4 messages\)/);
      // The second turn carries the first in its history; after /reset the count drops back.
      const inputs = [...result.stderr.matchAll(/\[(\d+) in, \d+ out tokens/g)].map((m) => Number(m[1]));
      assert.equal(inputs.length, 3);
      assert.ok(inputs[1]! > inputs[0]!, `history not sent: ${inputs}`);
      assert.equal(inputs[2], inputs[0]);
    });

    it("prints the Bedrock exception name and carries on", async () => {
      const result = await runCli(["chat", "no.such-model", "--endpoint", server.url], { input: "hello\nagain\n" });
      assert.equal(result.code, 1);
      const errors = result.stderr.match(/error: ValidationException: The provided model identifier is invalid\./g);
      assert.equal(errors?.length, 2);
    });

    it("cancels the current answer on SIGINT and keeps chatting", async () => {
      const child = spawnCli(["chat", "mock.slow", "--endpoint", server.url]);
      const code = exited(child);
      let stdout = "";
      child.stdout!.on("data", (d: Buffer) => (stdout += d));
      const cancelled = waitFor(child.stderr!, /\[cancelled\]/);
      child.stdin!.write(`${"a very long answer that streams slowly ".repeat(10)}\n`);
      await waitFor(child.stdout!, /a very/);
      child.kill("SIGINT");
      await cancelled;
      child.stdin!.end("ok\n");
      assert.equal(await code, 0);
      assert.match(stdout, /\nok\n$/);
      assert.ok(stdout.length < 200, "the long answer was not cut short");
    });
  });
});
