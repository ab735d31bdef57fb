// Integration tests of the upstream HTTP/1.1 pool against real local servers: requests and
// responses, connection reuse and backpressure (failures: pool-failures.test.ts).
import assert from "node:assert/strict";
import { createServer as createHttpServer, type IncomingMessage } from "node:http";
import { describe, it } from "node:test";
import type { Http1Request } from "./pool.ts";
import { listen, httpServer, rawServer, pool, closed, delay, signal, dispatch, ok, failed, echoPath, response, occurrences } from "./test-servers.ts";

describe("Http1Pool: requests and responses", () => {
  it("round-trips a JSON POST", async (t) => {
    let seen: { method?: string; url?: string; headers: IncomingMessage["headers"]; body: string } | undefined;
    const server = await httpServer(t, (req, res) => {
      const parts: Buffer[] = [];
      req.on("data", (part: Buffer) => parts.push(part));
      req.on("end", () => {
        seen = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(parts).toString("utf8") };
        res.writeHead(201, { "content-type": "application/json", "x-reply": "yes" });
        res.end(JSON.stringify({ echoed: JSON.parse(seen.body) }));
      });
    });
    const body = JSON.stringify({ model: "m", prompt: "héllo ✓" }); // multi-byte: length ≠ byte length
    const outcome = await ok(
      dispatch(pool(t, server.origin), {
        method: "POST",
        path: "/v1/chat/completions?api-version=1",
        headers: { "content-type": "application/json", "x-api-key": "secret", "X-Custom": "A b" },
        body,
      }),
    );
    assert.ok(seen);
    assert.equal(seen.method, "POST");
    assert.equal(seen.url, "/v1/chat/completions?api-version=1");
    assert.equal(seen.headers.host, `127.0.0.1:${server.port}`);
    assert.equal(seen.headers["content-length"], String(Buffer.byteLength(body)));
    assert.equal(seen.headers["content-type"], "application/json");
    assert.equal(seen.headers["x-api-key"], "secret");
    assert.equal(seen.headers["x-custom"], "A b");
    assert.equal(seen.headers["transfer-encoding"], undefined);
    assert.equal(seen.body, body);
    assert.equal(outcome.status, 201);
    assert.equal(outcome.headers?.get("content-type"), "application/json");
    assert.equal(outcome.headers?.get("x-reply"), "yes");
    assert.deepEqual(JSON.parse(outcome.body), { echoed: { model: "m", prompt: "héllo ✓" } });
  });

  it("sends a GET without a body and without content-length", async (t) => {
    let lengthHeaders = -1;
    const server = await httpServer(t, (req, res) => {
      lengthHeaders = occurrences(req, "content-length") + occurrences(req, "transfer-encoding");
      res.end("ok");
    });
    assert.equal((await ok(dispatch(pool(t, server.origin), { path: "/models" }))).body, "ok");
    assert.equal(lengthHeaders, 0);
  });

  it("delivers a chunked response streamed by the server in several onData calls", async (t) => {
    const server = await httpServer(t, (req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const parts = ["data: one\n\n", "data: two\n\n", "data: three\n\n"];
      const next = () => {
        const part = parts.shift();
        if (part === undefined) return res.end();
        res.write(part);
        setTimeout(next, 15);
      };
      next();
    });
    const outcome = await ok(dispatch(pool(t, server.origin)));
    assert.equal(outcome.headers?.get("transfer-encoding"), "chunked");
    assert.equal(outcome.body, "data: one\n\ndata: two\n\ndata: three\n\n");
    assert.ok(outcome.chunks.length >= 2, `expected several onData calls, got ${outcome.chunks.length}`);
  });

  it("reports only the final head after 100 Continue", async (t) => {
    const server = await rawServer(t, (socket) => socket.write(`HTTP/1.1 100 Continue\r\n\r\n${response("done")}`));
    const statuses: number[] = [];
    const outcome = await ok(dispatch(pool(t, server.origin), {}, { onHeaders: (status) => (statuses.push(status), true) }));
    assert.deepEqual(statuses, [200]);
    assert.equal(outcome.body, "done");
  });

  it("completes a body framed by the connection's end when the server closes", async (t) => {
    const server = await rawServer(t, (socket, _head, connection) => {
      socket.write("HTTP/1.1 200 OK\r\n\r\nuntil ");
      setTimeout(() => socket.end(`close ${connection}`), 10);
    });
    const upstream = pool(t, server.origin, { connections: 1 });
    assert.equal((await ok(dispatch(upstream))).body, "until close 0");
    assert.equal((await ok(dispatch(upstream))).body, "until close 1"); // a new socket
  });

  it("refuses header injection and invalid names, methods and paths, sending nothing", async (t) => {
    const paths: string[] = [];
    const server = await httpServer(t, (req, res) => {
      paths.push(req.url ?? "");
      res.end();
    });
    const upstream = pool(t, server.origin);
    const invalid: Array<Partial<Http1Request>> = [
      { headers: { "x-evil": "a\r\nx-injected: 1" } },
      { headers: { "x-evil": "a\nx-injected: 1" } },
      { headers: { "x-evil": "a\rb" } },
      { headers: { "x-evil": "a\0b" } },
      { headers: { "bad name": "x" } },
      { headers: { "x-a\r\nx-injected": "x" } },
      { path: "/a b" },
      { path: "/a\r\nx-injected: 1" },
      { path: "http://elsewhere/" },
      { path: "" },
      { method: "GET /x HTTP/1.1\r\n" },
      { method: "" },
    ];
    for (const request of invalid) {
      const call = dispatch(upstream, { path: "/bad", ...request });
      // dispatch() calls onError before it returns.
      assert.equal(call.outcome.error?.code, "UPSTREAM_INVALID_REQUEST", JSON.stringify(request));
      assert.equal((await failed(call)).code, "UPSTREAM_INVALID_REQUEST");
    }
    // The next, valid call is the first request the server ever saw.
    await ok(dispatch(upstream, { path: "/good" }));
    assert.deepEqual(paths, ["/good"]);
    assert.equal(server.sockets.length, 1);
  });

  it("writes host and content-length itself, dropping the caller's reserved headers", async (t) => {
    let seen: IncomingMessage | undefined;
    let body = "";
    const server = await httpServer(t, (req, res) => {
      seen = req;
      req.setEncoding("utf8");
      req.on("data", (part: string) => (body += part));
      req.on("end", () => res.end("ok"));
    });
    const upstream = pool(t, server.origin);
    await ok(
      dispatch(upstream, {
        method: "POST",
        headers: { Host: "evil.example", "Content-Length": "999", "transfer-encoding": "chunked", Connection: "close", "keep-alive": "timeout=1", Upgrade: "h2c", "x-kept": "1" },
        body: "four",
      }),
    );
    assert.ok(seen);
    assert.equal(occurrences(seen, "host"), 1);
    assert.equal(seen.headers.host, `127.0.0.1:${server.port}`);
    assert.equal(occurrences(seen, "content-length"), 1);
    assert.equal(seen.headers["content-length"], "4");
    for (const name of ["transfer-encoding", "connection", "keep-alive", "upgrade"]) assert.equal(occurrences(seen, name), 0, name);
    assert.equal(seen.headers["x-kept"], "1");
    assert.equal(body, "four");
    // The dropped `Connection: close` did not end the socket: the next call reuses it.
    await ok(dispatch(upstream));
    assert.equal(server.sockets.length, 1);
  });
});

describe("Http1Pool: connection reuse", () => {
  it("reuses one socket for sequential calls", async (t) => {
    const server = await httpServer(t, echoPath());
    const upstream = pool(t, server.origin);
    assert.equal((await ok(dispatch(upstream, { path: "/one" }))).body, "path=/one");
    assert.equal((await ok(dispatch(upstream, { path: "/two", method: "POST", body: "x" }))).body, "path=/two");
    assert.equal((await ok(dispatch(upstream, { path: "/three" }))).body, "path=/three");
    assert.equal(server.sockets.length, 1);
  });

  it("opens at most `connections` sockets; calls beyond wait and all complete", async (t) => {
    const server = await httpServer(t, echoPath(20));
    const upstream = pool(t, server.origin, { connections: 2 });
    const calls = Array.from({ length: 10 }, (_, i) => dispatch(upstream, { path: `/${i}` }));
    const outcomes = await Promise.all(calls.map(ok));
    assert.deepEqual(
      outcomes.map((o) => o.body),
      calls.map((_, i) => `path=/${i}`),
    );
    assert.ok(server.maxOpen <= 2, `the server saw ${server.maxOpen} sockets open at once`);
    assert.equal(server.sockets.length, 2);
  });

  it("does not reuse a socket idle for longer than keepAliveMs", async (t) => {
    // A raw server: Node's would send a Keep-Alive hint, which replaces keepAliveMs.
    const server = await rawServer(t, (socket) => socket.write(response("ok")));
    const upstream = pool(t, server.origin, { keepAliveMs: 50 });
    await ok(dispatch(upstream));
    await ok(dispatch(upstream)); // at once: reused
    assert.equal(server.sockets.length, 1);
    await delay(150);
    await ok(dispatch(upstream));
    assert.equal(server.sockets.length, 2);
    await closed(server.sockets[0]!); // the expired socket was closed, not leaked
  });

  it("caps a server's Keep-Alive hint at maxKeepAliveMs", async (t) => {
    const server = await httpServer(t, echoPath()); // Node sends "Keep-Alive: timeout=5"
    const upstream = pool(t, server.origin, { keepAliveMs: 50, maxKeepAliveMs: 100 });
    assert.equal((await ok(dispatch(upstream))).headers?.get("keep-alive"), "timeout=5");
    await delay(150);
    await ok(dispatch(upstream));
    assert.equal(server.sockets.length, 2);
  });

  it("opens a new socket after a response with connection: close", async (t) => {
    const server = await httpServer(t, (req, res) => {
      res.setHeader("connection", "close");
      res.end("bye");
    });
    const upstream = pool(t, server.origin);
    assert.equal((await ok(dispatch(upstream))).body, "bye");
    await closed(server.sockets[0]!); // the client closed it
    assert.equal((await ok(dispatch(upstream))).body, "bye");
    assert.equal(server.sockets.length, 2);
  });

  it("does not reuse a socket whose Keep-Alive hint is within the 1 s margin (timeout=1)", async (t) => {
    const node = createHttpServer(echoPath());
    node.keepAliveTimeout = 1_000; // Node then sends "Keep-Alive: timeout=1"
    const server = await listen(t, node);
    const upstream = pool(t, server.origin);
    const first = await ok(dispatch(upstream));
    assert.equal(first.headers?.get("keep-alive"), "timeout=1");
    await ok(dispatch(upstream));
    await ok(dispatch(upstream));
    assert.equal(server.sockets.length, 3);
  });

  it("reuses a socket whose Keep-Alive hint leaves time after the margin (timeout=3)", async (t) => {
    const node = createHttpServer(echoPath());
    node.keepAliveTimeout = 3_000;
    const server = await listen(t, node);
    const upstream = pool(t, server.origin);
    assert.equal((await ok(dispatch(upstream))).headers?.get("keep-alive"), "timeout=3");
    await ok(dispatch(upstream));
    assert.equal(server.sockets.length, 1);
  });

  it("drops an idle socket that receives unsolicited bytes; the next call uses a fresh one", async (t) => {
    const server = await rawServer(t, (socket, _head, connection) => {
      socket.write(response(`conn ${connection}`));
      if (connection === 0) setTimeout(() => socket.write("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nstale"), 20);
    });
    const upstream = pool(t, server.origin);
    assert.equal((await ok(dispatch(upstream))).body, "conn 0");
    await closed(server.sockets[0]!); // the client hung up on the stray bytes
    assert.equal((await ok(dispatch(upstream))).body, "conn 1");
  });

  it("does not reuse a socket whose response came with extra bytes after it", async (t) => {
    const server = await rawServer(t, (socket, _head, connection) => socket.write(response(`conn ${connection}`) + "EXTRA"));
    const upstream = pool(t, server.origin);
    assert.equal((await ok(dispatch(upstream))).body, "conn 0");
    assert.equal((await ok(dispatch(upstream))).body, "conn 1");
  });
});

describe("Http1Pool: backpressure", () => {
  it("holds the body back while onData returned false, and resume() delivers the rest", async (t) => {
    const firstSeen = signal();
    const finished = signal();
    const server = await httpServer(t, async (req, res) => {
      res.writeHead(200);
      res.write("first ");
      await firstSeen.promise;
      res.end("second", () => finished.resolve());
    });
    const call = dispatch(pool(t, server.origin), {}, {
      onData: (_chunk, self) => {
        if (self.outcome.chunks.length > 1) return true;
        firstSeen.resolve();
        return false;
      },
    });
    await finished.promise;
    await delay(50); // the rest has reached the client's socket, which is paused
    assert.equal(call.outcome.chunks.length, 1);
    assert.equal(call.outcome.completed, false);
    call.resume();
    assert.equal((await ok(call)).body, "first second");
  });

  it("holds the body back while onHeaders returned false", async (t) => {
    const headSeen = signal();
    const finished = signal();
    const server = await httpServer(t, async (req, res) => {
      res.writeHead(200, { "content-length": "4" });
      res.flushHeaders();
      await headSeen.promise;
      res.end("body", () => finished.resolve());
    });
    const call = dispatch(pool(t, server.origin), {}, { onHeaders: () => (headSeen.resolve(), false) });
    await finished.promise;
    await delay(50);
    assert.equal(call.outcome.chunks.length, 0);
    assert.equal(call.outcome.completed, false);
    call.resume();
    assert.equal((await ok(call)).body, "body");
  });

  it(
    "delivers no more chunks after onData returns false, even from the same socket read",
    async (t) => {
      // Three body chunks and the end in ONE write, so the client reads them together.
      const server = await rawServer(t, (socket) =>
        socket.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n"),
      );
      // Pauses on the first chunk only: one resume() lets the rest through.
      const call = dispatch(pool(t, server.origin), {}, { onData: (_chunk, self) => self.outcome.chunks.length > 1 });
      await delay(50);
      assert.equal(call.outcome.chunks.length, 1, `onData was called ${call.outcome.chunks.length} times without resume()`);
      assert.equal(call.outcome.completed, false);
      call.resume();
      await ok(call);
    },
  );

  it(
    "a socket paused by the last onData of a response still carries the next call",
    async (t) => {
      const server = await rawServer(t, (socket, _head, connection, request) => socket.write(response(`conn ${connection} request ${request}`)));
      const upstream = pool(t, server.origin, { connections: 1 });
      // The handler asks for a pause on the only chunk; the response completes anyway and
      // the handler, done, never calls resume().
      assert.equal((await ok(dispatch(upstream, {}, { onData: () => false }))).body, "conn 0 request 0");
      const next = await dispatch(upstream, { idleTimeoutMs: 300 }).ended;
      assert.equal(next.error?.code, undefined, "the next call on the paused socket got no response");
      assert.equal(next.body, "conn 0 request 1");
    },
  );
});
