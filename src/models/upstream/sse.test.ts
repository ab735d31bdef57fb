import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { BasaltError } from "../../spec/errors.ts";
import { sseMessages } from "./sse.ts";

async function messages(chunks: Buffer[]): Promise<string[]> {
  const out: string[] = [];
  for await (const message of sseMessages({ body: Readable.from(chunks), upstream: "test" })) out.push(message.data);
  return out;
}

describe("sseMessages", () => {
  it("reassembles events and multi-byte characters split across chunks", async () => {
    const bytes = Buffer.from('data: {"t":"héllo ✓"}\n\ndata: [DONE]\n\n');
    const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1)); // one byte each
    assert.deepEqual(await messages(chunks), ['{"t":"héllo ✓"}', "[DONE]"]);
  });

  it("ignores comments and discards a last event that lacks its blank line (per the SSE spec)", async () => {
    assert.deepEqual(await messages([Buffer.from(": ping\n\ndata: a\n\ndata: b")]), ["a"]);
  });

  it("rejects a bare non-SSE line as a malformed stream", async () => {
    await assert.rejects(messages([Buffer.from('data: a\n\n{"error":"boom"}\n\n')]), (error: unknown) => {
      assert.ok(error instanceof BasaltError);
      assert.equal(error.code, "MODEL_STREAM_ERROR");
      return true;
    });
  });

  it("turns a body that fails mid-way into MODEL_STREAM_ERROR", async () => {
    const body = new Readable({ read() {} });
    body.push(Buffer.from("data: a\n\n"));
    setTimeout(() => body.destroy(Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" })), 5);
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const message of sseMessages({ body, upstream: "test" })) seen.push(message.data);
      })(),
      (error: unknown) => error instanceof BasaltError && error.code === "MODEL_STREAM_ERROR",
    );
    assert.deepEqual(seen, ["a"]);
  });
});
