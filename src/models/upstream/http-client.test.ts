import assert from "node:assert/strict";
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { BasaltError } from "../../spec/errors.ts";
import { UpstreamHttp, upstreamEndpoint, type UpstreamPost } from "./http-client.ts";
import { startTestUpstream, type TestUpstream } from "./test-upstream.ts";

/** The test upstream's behaviour, picked by the path. */
const handler: RequestListener = (req, res) => {
  req.resume();
  req.on("end", () => {
    switch (req.url) {
      case "/v1/ok":
        res.writeHead(200, { "content-type": "application/json" });
        // Two chunks: the handler must join them.
        res.write('{"answer":');
        setTimeout(() => res.end('"yes"}'), 5);
        return;
      case "/v1/busy":
        res.writeHead(429, { "retry-after": "7" });
        res.end("slow down");
        return;
      case "/v1/garbage":
        res.writeHead(200, { "content-type": "application/json" });
        res.end("<html>not json</html>");
        return;
      case "/v1/trickle": {
        // Each byte comes well within the read timeout; the whole body takes far longer than the deadline.
        res.writeHead(200, { "content-type": "application/json" });
        const timer = setInterval(() => res.write(" "), 20);
        res.on("close", () => clearInterval(timer));
        return;
      }
      case "/v1/hang":
        return; // never answers
      default:
        res.writeHead(404);
        res.end();
    }
  });
};

async function rejection(promise: Promise<unknown>): Promise<BasaltError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof BasaltError, `expected a BasaltError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected a rejection");
}

describe("UpstreamHttp.postJson", () => {
  let upstream: TestUpstream;
  let http: UpstreamHttp;
  let call: TestUpstream["call"];

  before(async () => {
    upstream = await startTestUpstream(handler);
    ({ http, call } = upstream);
  });
  after(() => upstream.close());

  it("resolves with the parsed body of a 2xx answer sent in several chunks", async () => {
    assert.deepEqual(await http.postJson(call("/ok")), { answer: "yes" });
  });

  it("maps a 429 to ThrottlingException with the upstream's retry hint", async () => {
    const error = await rejection(http.postJson(call("/busy")));
    assert.equal(error.code, "THROTTLED");
    assert.equal(error.retryAfterSeconds, 7);
  });

  it("maps a body that is not JSON to ModelErrorException", async () => {
    assert.equal((await rejection(http.postJson(call("/garbage")))).code, "MODEL_ERROR");
  });

  it("ends a call at its deadline even while the upstream keeps sending", async () => {
    const error = await rejection(http.postJson(call("/trickle", { deadlineAt: performance.now() + 150 })));
    assert.equal(error.code, "MODEL_TIMEOUT");
    // The pool is still usable afterwards: the timed-out socket was released.
    assert.deepEqual(await http.postJson(call("/ok")), { answer: "yes" });
  });

  it("cancels a call when its signal aborts, with the signal's reason", async () => {
    const controller = new AbortController();
    const pending = http.postJson(call("/hang", { signal: controller.signal }));
    setTimeout(() => controller.abort(new BasaltError("VALIDATION", "The client closed the connection.")), 20);
    const error = await rejection(pending);
    assert.equal(error.message, "The client closed the connection.");
  });

  it("refuses at once a call whose signal has already aborted", async () => {
    const controller = new AbortController();
    controller.abort(new BasaltError("VALIDATION", "gone"));
    assert.equal((await rejection(http.postJson(call("/hang", { signal: controller.signal })))).message, "gone");
  });

  it("refuses a configured header that cannot go on the wire, naming it but not its value", async () => {
    const error = await rejection(http.postJson(call("/ok", { headers: { authorization: "Bearer sk-secret\r\nx-injected: 1" } })));
    assert.equal(error.code, "MODEL_ERROR");
    assert.match(error.message, /"authorization" is invalid/);
    assert.doesNotMatch(error.message, /sk-secret/);
  });

    it("maps an unreachable upstream to ServiceUnavailableException", async () => {
    const closed = new UpstreamHttp();
    const probe = createServer();
    const port = await new Promise<number>((resolve) => probe.listen(0, "127.0.0.1", () => resolve((probe.address() as AddressInfo).port)));
    await new Promise((resolve) => probe.close(resolve));
    const error = await rejection(closed.postJson({ ...call("/ok"), endpoint: upstreamEndpoint(`http://127.0.0.1:${port}`) }));
    await closed.close();
    assert.equal(error.code, "SERVICE_UNAVAILABLE");
  });
});
