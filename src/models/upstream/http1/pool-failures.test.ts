// Integration tests of the upstream HTTP/1.1 pool against real local servers: aborts, transport
// failures, malformed responses and close() (requests and reuse: pool.test.ts).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { httpServer, rawServer, closedPort, pool, closed, signal, dispatch, ok, failed, echoPath, response } from "./test-servers.ts";

describe("Http1Pool: aborts", () => {
  it("aborts a queued call without sending it; the pool keeps working", async (t) => {
    const paths: string[] = [];
    const release = signal();
    const server = await httpServer(t, (req, res) => {
      paths.push(req.url ?? "");
      if (req.url === "/held") void release.promise.then(() => res.end("held"));
      else res.end("free");
    });
    const upstream = pool(t, server.origin, { connections: 1 });
    const held = dispatch(upstream, { path: "/held" });
    const queued = dispatch(upstream, { path: "/queued" });
    const reason = new Error("the client left");
    queued.abort(reason);
    assert.equal(await failed(queued), reason);
    queued.abort(new Error("again")); // a second abort is a no-op
    release.resolve();
    assert.equal((await ok(held)).body, "held");
    assert.equal((await ok(dispatch(upstream, { path: "/after" }))).body, "free");
    assert.deepEqual(paths, ["/held", "/after"]);
    assert.equal(server.sockets.length, 1);
  });

  it("aborts an in-flight call, destroying its socket; the pool keeps working", async (t) => {
    const arrived = signal();
    const server = await httpServer(t, (req, res) => {
      if (req.url === "/hang") return arrived.resolve();
      res.end("fine");
    });
    const upstream = pool(t, server.origin, { connections: 1 });
    const call = dispatch(upstream, { path: "/hang" });
    await arrived.promise;
    const reason = new Error("stop");
    call.abort(reason);
    assert.equal(await failed(call), reason);
    await closed(server.sockets[0]!);
    assert.equal((await ok(dispatch(upstream, { path: "/next" }))).body, "fine");
    assert.equal(server.sockets.length, 2);
  });

  it("aborts with a default error when no reason is given", async (t) => {
    const server = await httpServer(t, () => {});
    const call = dispatch(pool(t, server.origin), { path: "/hang" });
    call.abort();
    const error = await failed(call);
    assert.ok(error instanceof Error);
    assert.match(error.message, /abort/i);
  });

  it("aborts mid-body from inside onData", async (t) => {
    const server = await httpServer(t, (req, res) => {
      res.writeHead(200);
      res.write("part");
    });
    const reason = new Error("enough");
    const call = dispatch(pool(t, server.origin), {}, { onData: (_chunk, self) => (self.abort(reason), true) });
    assert.equal(await failed(call), reason);
    assert.equal(call.outcome.chunks.length, 1);
    await closed(server.sockets[0]!);
  });
});

describe("Http1Pool: failures", () => {
  it("passes ECONNREFUSED through for a closed port", async (t) => {
    const port = await closedPort();
    const error = await failed(dispatch(pool(t, `http://127.0.0.1:${port}`)));
    assert.equal(error.code, "ECONNREFUSED");
  });

  it("fails a connect that takes too long with UPSTREAM_CONNECT_TIMEOUT", {
    skip: "no offline way to stall a TCP connect: 10.255.255.1 does not hang or fail fast here, and the test must not depend on the network",
  }, async (t) => {
    const error = await failed(dispatch(pool(t, "http://10.255.255.1:81", { connectTimeoutMs: 100 })));
    assert.equal(error.code, "UPSTREAM_CONNECT_TIMEOUT");
  });

  it("fails a call whose server sends nothing within idleTimeoutMs with UPSTREAM_TIMEOUT", async (t) => {
    const server = await httpServer(t, () => {}); // never answers
    const error = await failed(dispatch(pool(t, server.origin), { idleTimeoutMs: 100 }));
    assert.equal(error.code, "UPSTREAM_TIMEOUT");
    await closed(server.sockets[0]!);
  });

  it("fails a body that stalls past idleTimeoutMs, but not one that keeps trickling", async (t) => {
    const server = await httpServer(t, (req, res) => {
      res.writeHead(200);
      let left = req.url === "/stall" ? 1 : 12;
      const timer = setInterval(() => {
        if (left-- > 0) res.write(".");
        else if (req.url !== "/stall") res.end();
      }, 25);
      res.on("close", () => clearInterval(timer));
    });
    const upstream = pool(t, server.origin);
    // 12 × 25 ms is longer than the timeout: each byte rearms it.
    assert.equal((await ok(dispatch(upstream, { path: "/trickle", idleTimeoutMs: 200 }))).body, ".".repeat(12));
    const stalled = dispatch(upstream, { path: "/stall", idleTimeoutMs: 200 });
    assert.equal((await failed(stalled)).code, "UPSTREAM_TIMEOUT");
    assert.equal(stalled.outcome.status, 200);
  });

  it("fails a call whose server closes mid-body; the next call gets a fresh socket", async (t) => {
    const server = await rawServer(t, (socket, _head, connection) => {
      if (connection === 0) socket.end("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten b");
      else socket.write(response("whole"));
    });
    const upstream = pool(t, server.origin, { connections: 1 });
    const cut = dispatch(upstream);
    const error = await failed(cut);
    assert.ok(error.code === "UPSTREAM_PROTOCOL" || error.code === "UPSTREAM_SOCKET_CLOSED", `got ${error.code}`);
    assert.equal(cut.outcome.body, "only ten b");
    assert.equal((await ok(dispatch(upstream))).body, "whole");
    assert.equal(server.sockets.length, 2);
  });

  it("fails a call whose server closes without answering", async (t) => {
    const server = await rawServer(t, (socket) => socket.end());
    const error = await failed(dispatch(pool(t, server.origin)));
    assert.ok(error.code === "UPSTREAM_PROTOCOL" || error.code === "UPSTREAM_SOCKET_CLOSED", `got ${error.code}`);
  });

  it("fails a malformed response with UPSTREAM_PROTOCOL and closes its socket", async (t) => {
    const server = await rawServer(t, (socket, _head, connection) => socket.write(connection === 0 ? "HTTP/1.1 200 OK\r\nno colon\r\n\r\n" : response("fine")));
    const upstream = pool(t, server.origin, { connections: 1 });
    assert.equal((await failed(dispatch(upstream))).code, "UPSTREAM_PROTOCOL");
    await closed(server.sockets[0]!);
    assert.equal((await ok(dispatch(upstream))).body, "fine");
  });
});

describe("Http1Pool: close()", () => {
  it("fails in-flight and queued calls, closes the sockets, and fails later calls at once", async (t) => {
    const arrived = signal();
    const server = await httpServer(t, () => arrived.resolve()); // never answers
    const upstream = pool(t, server.origin, { connections: 1 });
    const inFlight = dispatch(upstream, { path: "/a" });
    const queued = dispatch(upstream, { path: "/b" });
    await arrived.promise;
    await upstream.close();
    assert.equal((await failed(inFlight)).code, "UPSTREAM_POOL_CLOSED");
    assert.equal((await failed(queued)).code, "UPSTREAM_POOL_CLOSED");
    await closed(server.sockets[0]!);

    const late = dispatch(upstream);
    assert.equal(late.outcome.error?.code, "UPSTREAM_POOL_CLOSED", "a call after close() fails synchronously");
    assert.equal(late.outcome.ends, 1);
    assert.equal(server.sockets.length, 1);
  });

  it("closes idle sockets", async (t) => {
    const server = await httpServer(t, echoPath());
    const upstream = pool(t, server.origin, { connections: 2 });
    await Promise.all([ok(dispatch(upstream)), ok(dispatch(upstream))]);
    assert.equal(server.sockets.length, 2);
    await upstream.close();
    await Promise.all(server.sockets.map(closed));
  });

});

describe("Http1Pool: https", () => {
  /** A self-signed certificate for localhost, made with the openssl CLI (no network). */
  function selfSigned(t: TestContext): { key: string; cert: string } | undefined {
    const dir = mkdtempSync(join(tmpdir(), "basalt-tls-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const [key, cert] = [join(dir, "key.pem"), join(dir, "cert.pem")];
    const made = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"]);
    if (made.status !== 0) return undefined;
    return { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") };
  }

  async function httpsServer(t: TestContext, pair: { key: string; cert: string }): Promise<number> {
    const server = createHttpsServer(pair, (req, res) => {
      req.resume();
      req.on("end", () => res.end(`secure ${req.headers.host}`));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    t.after(() => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }));
    return (server.address() as AddressInfo).port;
  }

  it("speaks TLS to an https origin whose certificate it trusts (SNI and the Host header name the origin)", async (t) => {
    const pair = selfSigned(t);
    if (!pair) return t.skip("the openssl CLI is not available to make a certificate");
    const port = await httpsServer(t, pair);
    const upstream = pool(t, `https://localhost:${port}`, { ca: pair.cert });
    assert.equal((await ok(dispatch(upstream))).body, `secure localhost:${port}`);
    assert.equal((await ok(dispatch(upstream))).body, `secure localhost:${port}`); // and reuses the TLS socket
  });

  it("refuses an https origin whose certificate it does not trust", async (t) => {
    const pair = selfSigned(t);
    if (!pair) return t.skip("the openssl CLI is not available to make a certificate");
    const port = await httpsServer(t, pair);
    const error = await failed(dispatch(pool(t, `https://localhost:${port}`)));
    assert.match(String(error.code), /SELF_SIGNED|UNABLE_TO_VERIFY/);
  });
});
