// The server itself over raw sockets: both protocols on one port, keep-alive, body limits,
// garbage input, percent-encoded ARNs and graceful shutdown that drains running streams.
import assert from "node:assert/strict";
import { request as httpRequest, Agent } from "node:http";
import { connect as connectH2 } from "node:http2";
import { connect as connectTcp } from "node:net";
import { after, before, describe, it } from "node:test";
import { BedrockRuntimeClient, ConverseStreamCommand } from "@aws-sdk/client-bedrock-runtime";
import { DUMMY_CREDENTIALS, startTestServer, type TestServer } from "./helpers/server.ts";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function h1(url: string, options: { method?: string; path: string; body?: string | Buffer; agent?: Agent; headers?: Record<string, string> }): Promise<Reply & { socketId: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${options.path}`, { method: options.method ?? "POST", agent: options.agent, headers: { "content-type": "application/json", ...options.headers } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body, socketId: req.socket }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

function rawSocket(port: number, bytes: Buffer | string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connectTcp(port, "127.0.0.1", () => socket.write(bytes));
    let out = "";
    socket.on("data", (d) => (out += d.toString("latin1")));
    socket.on("close", () => resolve(out));
    socket.on("error", () => resolve(out));
    socket.setTimeout(3000, () => socket.destroy());
  });
}

const converseBody = JSON.stringify({ messages: [{ role: "user", content: [{ text: "ping" }] }] });

describe("server", () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({
      server: { bodyLimitBytes: 4096 },
      models: [
        { provider: "mock", id: "mock.echo" },
        { provider: "mock", id: "mock.slow", mode: "script", responses: [{ text: "abcdefghijklmnopqrstuvwxyz" }], chunkSize: 2, chunkDelayMs: 40 },
      ],
    });
  });
  after(() => server.stop());

  it("serves HTTP/1.1 and reuses a keep-alive connection", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await h1(server.url, { path: "/model/mock.echo/converse", body: converseBody, agent });
    const second = await h1(server.url, { path: "/model/mock.echo/converse", body: converseBody, agent });
    agent.destroy();
    assert.equal(first.status, 200);
    assert.equal(JSON.parse(first.body).output.message.content[0].text, "ping");
    assert.equal(first.socketId, second.socketId, "the second request rides the same socket");
    assert.ok(first.headers["x-amzn-requestid"]);
  });

  it("serves cleartext HTTP/2 with prior knowledge on the same port", async () => {
    const session = connectH2(server.url);
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = session.request({ ":method": "POST", ":path": "/model/mock.echo/converse", "content-type": "application/json" });
      let body = "";
      let status = 0;
      req.on("response", (h) => (status = Number(h[":status"])));
      req.setEncoding("utf8");
      req.on("data", (c) => (body += c));
      req.on("end", () => resolve({ status, headers: {}, body }));
      req.on("error", reject);
      req.end(converseBody);
    });
    session.close();
    assert.equal(reply.status, 200);
    assert.equal(JSON.parse(reply.body).stopReason, "end_turn");
  });

  it("decodes percent-encoded ids and ARNs in paths, and accepts a raw colon", async () => {
    const arn = encodeURIComponent("arn:aws:bedrock:us-east-1::foundation-model/mock.echo");
    const byArn = await h1(server.url, { path: `/model/${arn}/converse`, body: converseBody });
    assert.equal(byArn.status, 200);
    const unknown = await h1(server.url, { path: "/model/anthropic.claude-v2:1/converse", body: converseBody });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.headers["x-amzn-errortype"], "ValidationException:");
  });

  it("answers malformed JSON, wrong types and unknown routes with Bedrock errors", async () => {
    const malformed = await h1(server.url, { path: "/model/mock.echo/converse", body: "{not json" });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.headers["x-amzn-errortype"], "ValidationException:");
    assert.match(JSON.parse(malformed.body).message, /not valid JSON/);
    const wrongType = await h1(server.url, { path: "/model/mock.echo/converse", body: JSON.stringify({ messages: "hello" }) });
    assert.equal(wrongType.status, 400);
    assert.match(JSON.parse(wrongType.body).message, /'messages'/);
    const nowhere = await h1(server.url, { method: "GET", path: "/no/such/route" });
    assert.equal(nowhere.status, 404);
    assert.equal(nowhere.headers["x-amzn-errortype"], "ResourceNotFoundException:");
  });

  it("refuses bodies over the limit, declared or streamed", async () => {
    const big = JSON.stringify({ messages: [{ role: "user", content: [{ text: "x".repeat(10_000) }] }] });
    const declared = await h1(server.url, { path: "/model/mock.echo/converse", body: big });
    assert.equal(declared.status, 413);
    assert.equal(declared.headers["x-amzn-errortype"], "ValidationException:");
    const chunked = await h1(server.url, { path: "/model/mock.echo/converse", body: big, headers: { "transfer-encoding": "chunked" } });
    assert.equal(chunked.status, 413);
  });

  it("survives garbage bytes on HTTP/1.1 and HTTP/2 sockets and keeps serving", async () => {
    const h1Garbage = await rawSocket(server.port, Buffer.from([0x16, 0x03, 0x01, 0xff, 0x00, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a]));
    assert.match(h1Garbage, /^HTTP\/1\.1 400/);
    await rawSocket(server.port, Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), Buffer.alloc(64, 0xab)]));
    await rawSocket(server.port, "PRI"); // a truncated preface, then close
    const ok = await h1(server.url, { path: "/model/mock.echo/converse", body: converseBody });
    assert.equal(ok.status, 200);
  });
});

describe("client cancellation", () => {
  it("stops the model's work when an HTTP/2 client cancels a stream", async () => {
    const server = await startTestServer({
      models: [{ provider: "mock", id: "mock.long", mode: "script", responses: [{ text: "x".repeat(400) }], chunkSize: 2, chunkDelayMs: 25 }],
    });
    const session = connectH2(server.url);
    const req = session.request({ ":method": "POST", ":path": "/model/mock.long/converse-stream", "content-type": "application/json" });
    req.end(converseBody);
    await new Promise((resolve) => req.once("data", resolve));
    assert.equal(server.inFlight(), 1);
    req.close(); // RST_STREAM: the 5-second answer is abandoned
    const deadline = Date.now() + 2000;
    while (server.inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(server.inFlight(), 0, "the cancelled stream no longer runs");
    session.close();
    await server.stop();
  });
});

describe("graceful shutdown", () => {
  it("drains an in-flight stream on close, then refuses new connections", async () => {
    const server = await startTestServer({
      models: [{ provider: "mock", id: "mock.slow", mode: "script", responses: [{ text: "abcdefghijklmnopqrstuvwxyz" }], chunkSize: 2, chunkDelayMs: 40 }],
    });
    const client = new BedrockRuntimeClient({ endpoint: server.url, region: "us-east-1", credentials: DUMMY_CREDENTIALS, maxAttempts: 1 });
    const out = await client.send(new ConverseStreamCommand({ modelId: "mock.slow", messages: [{ role: "user", content: [{ text: "go" }] }] }));
    let text = "";
    let closing: Promise<void> | undefined;
    for await (const event of out.stream!) {
      text += event.contentBlockDelta?.delta?.text ?? "";
      closing ??= server.close(10_000); // shut down while the stream is running
    }
    await closing;
    client.destroy();
    assert.equal(text, "abcdefghijklmnopqrstuvwxyz", "the running stream finished whole");
    await assert.rejects(h1(server.url, { path: "/model/mock.slow/converse", body: converseBody }), /ECONNREFUSED/);
    await server.stop();
  });
});

describe("structured logs", () => {
  const converse = (url: string, text: string) =>
    h1(url, { path: "/model/mock.echo/converse", body: JSON.stringify({ messages: [{ role: "user", content: [{ text }] }] }) });

  it("write one JSON line per request without prompts, unless logContent is on", async () => {
    const quiet: string[] = [];
    const server = await startTestServer({ logging: { level: "debug" }, models: [{ provider: "mock", id: "mock.echo" }] }, { logLines: quiet });
    await converse(server.url, "secret-prompt-7f3a");
    await server.stop();
    const access = quiet.map((l) => JSON.parse(l)).find((l) => l.msg === "request");
    assert.equal(access.path, "/model/mock.echo/converse");
    assert.equal(access.status, 200);
    assert.equal(access.modelId, "mock.echo");
    assert.ok(access.inputTokens > 0);
    assert.ok(!quiet.join("\n").includes("secret-prompt-7f3a"), "the prompt must not be logged");

    const loud: string[] = [];
    const debug = await startTestServer({ logging: { level: "info", logContent: true }, models: [{ provider: "mock", id: "mock.echo" }] }, { logLines: loud });
    await converse(debug.url, "secret-prompt-7f3a");
    await debug.stop();
    assert.ok(loud.join("\n").includes("secret-prompt-7f3a"), "logContent logs the request content");
  });

  it("answers a health check", async () => {
    const server = await startTestServer({ models: [{ provider: "mock", id: "mock.echo" }] });
    const health = await h1(server.url, { method: "GET", path: "/healthz" });
    await server.stop();
    assert.equal(health.status, 200);
    assert.equal(JSON.parse(health.body).status, "ok");
  });
});
