import assert from "node:assert/strict";
import type { RequestListener, ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import { BasaltError } from "../../spec/errors.ts";
import type { StreamPart } from "../../spec/model.ts";
import type { UpstreamHttp } from "./http-client.ts";
import type { SseMapper } from "./sse-stream.ts";
import { startTestUpstream, type TestUpstream } from "./test-upstream.ts";

const sse = (res: ServerResponse) => res.writeHead(200, { "content-type": "text/event-stream" });

/** The test upstream's SSE behaviour, picked by the path; `closed` collects the paths whose connection closed. */
function handler(closed: string[]): RequestListener {
  return (req, res) => {
    req.resume();
    res.on("close", () => closed.push(req.url ?? ""));
    req.on("end", () => {
      switch (req.url) {
        case "/v1/bytes": {
          // One byte per write: events and multi-byte characters arrive split.
          sse(res);
          const bytes = Buffer.from('data: {"t":"héllo ✓"}\n\n: a comment\n\ndata: [DONE]\n\ndata: no blank line');
          let i = 0;
          const timer = setInterval(() => {
            if (i < bytes.length) res.write(bytes.subarray(i, ++i));
            else {
              clearInterval(timer);
              res.end();
            }
          }, 1);
          return;
        }
        case "/v1/bare-line":
          sse(res);
          res.end('data: a\n\n{"error":"boom"}\n\n');
          return;
        case "/v1/drop":
          sse(res);
          res.write("data: a\n\n");
          setTimeout(() => res.destroy(), 20);
          return;
        case "/v1/busy":
          res.writeHead(429, { "retry-after": "7" });
          res.end("slow down");
          return;
        case "/v1/stall":
          sse(res);
          res.write("data: a\n\n"); // then nothing
          return;
        case "/v1/endless": {
          sse(res);
          const timer = setInterval(() => res.write("data: tick\n\n"), 5);
          res.on("close", () => clearInterval(timer));
          return;
        }
        case "/v1/flood": {
          // Far more than the queue's high-water mark, as fast as the socket takes it.
          sse(res);
          const events = Array.from({ length: 5000 }, (_, i) => `data: ${i}\n\n`).join("");
          res.end(events);
          return;
        }
        default:
          res.writeHead(404);
          res.end();
      }
    });
  };
}

/** Maps each event's data to a text delta and closes with a finish part. */
const mapper = (): SseMapper => ({
  data: (data, out) => out.push({ type: "text-delta", id: "t", delta: data }),
  end: (out) => out.push({ type: "finish", finishReason: "end_turn", usage: { inputTokens: 0, outputTokens: 0 } }),
});

const deltas = (parts: StreamPart[]): string[] => parts.flatMap((p) => (p.type === "text-delta" ? [p.delta] : []));

/** Reads a whole stream; on failure, the error and the parts seen before it. */
async function read(stream: AsyncIterable<StreamPart>): Promise<{ parts: StreamPart[]; error?: BasaltError }> {
  const parts: StreamPart[] = [];
  try {
    for await (const part of stream) parts.push(part);
  } catch (error) {
    assert.ok(error instanceof BasaltError, `expected a BasaltError, got ${String(error)}`);
    return { parts, error };
  }
  return { parts };
}

describe("UpstreamHttp.postSse", () => {
  const closed: string[] = [];
  let upstream: TestUpstream;
  let http: UpstreamHttp;
  let call: TestUpstream["call"];

  before(async () => {
    upstream = await startTestUpstream(handler(closed), 5_000);
    ({ http, call } = upstream);
  });
  after(() => upstream.close());

  it("yields warnings first, reassembles events and characters split across chunks, and discards a last event with no blank line", async () => {
    const warning = { type: "unsupported-setting" as const, setting: "topK", message: "topK is not supported." };
    const { parts, error } = await read(http.postSse(call("/bytes"), mapper(), [warning]));
    assert.equal(error, undefined);
    assert.deepEqual(parts[0], { type: "warning", warning });
    assert.deepEqual(deltas(parts), ['{"t":"héllo ✓"}', "[DONE]"]);
    assert.equal(parts.at(-1)?.type, "finish");
  });

  it("rejects a bare non-SSE line as a malformed stream, after the parts before it", async () => {
    const { parts, error } = await read(http.postSse(call("/bare-line"), mapper(), []));
    assert.deepEqual(deltas(parts), ["a"]);
    assert.equal(error?.code, "MODEL_STREAM_ERROR");
  });

  it("turns a connection lost mid-stream into MODEL_STREAM_ERROR", async () => {
    const { parts, error } = await read(http.postSse(call("/drop"), mapper(), []));
    assert.deepEqual(deltas(parts), ["a"]);
    assert.equal(error?.code, "MODEL_STREAM_ERROR");
  });

  it("maps a 429 before the stream to ThrottlingException, thrown from the first read", async () => {
    const { parts, error } = await read(http.postSse(call("/busy"), mapper(), []));
    assert.deepEqual(parts, []);
    assert.equal(error?.code, "THROTTLED");
    assert.equal(error?.retryAfterSeconds, 7);
  });

  it("fails with MODEL_TIMEOUT when no chunk comes within the idle timeout, and releases the socket", async () => {
    const { parts, error } = await read(http.postSse(call("/stall", { idleTimeoutMs: 150 }), mapper(), []));
    assert.deepEqual(deltas(parts), ["a"]);
    assert.equal(error?.code, "MODEL_TIMEOUT");
    await waitFor(() => closed.includes("/v1/stall"));
  });

  it("aborts the request when the consumer leaves early", async () => {
    let seen = 0;
    for await (const part of http.postSse(call("/endless"), mapper(), [])) if (part.type === "text-delta" && ++seen === 3) break;
    await waitFor(() => closed.includes("/v1/endless"));
  });

  it("ends a next() still waiting when the consumer returns", async () => {
    const iterator = http.postSse(call("/stall"), mapper(), [])[Symbol.asyncIterator]();
    assert.equal((await iterator.next()).done, false);
    const waiting = iterator.next();
    await iterator.return?.();
    assert.deepEqual(await waiting, { done: true, value: undefined });
  });

  it("cancels the stream when its signal aborts, with the signal's reason", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new BasaltError("VALIDATION", "The client closed the connection.")), 30);
    const { error } = await read(http.postSse(call("/endless", { signal: controller.signal }), mapper(), []));
    assert.equal(error?.message, "The client closed the connection.");
  });

  it("holds back a fast upstream for a slow consumer without timing it out, and loses nothing", async () => {
    const stream = http.postSse(call("/flood", { idleTimeoutMs: 100 }), mapper(), []);
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.equal(first.done, false);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the queue fills and the socket pauses meanwhile
    const rest: StreamPart[] = [];
    for (let step = await iterator.next(); !step.done; step = await iterator.next()) rest.push(step.value);
    const all = deltas([first.value as StreamPart, ...rest]);
    assert.equal(all.length, 5000);
    assert.deepEqual(all.slice(0, 3), ["0", "1", "2"]);
    assert.equal(all.at(-1), "4999");
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(condition(), "timed out waiting");
}
