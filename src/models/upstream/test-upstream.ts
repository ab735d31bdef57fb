// Test support for the upstream HTTP client: a real local HTTP server whose request handler the
// test supplies, an UpstreamHttp, and a builder of calls to it. Closed after the suite.
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { UpstreamHttp, upstreamEndpoint, type UpstreamPost } from "./http-client.ts";

/** A started test upstream. */
export interface TestUpstream {
  http: UpstreamHttp;
  /** A call to `path` (under /v1) on the test server; `extra` overrides any field. */
  call(path: string, extra?: Partial<UpstreamPost>): UpstreamPost;
  close(): Promise<void>;
}

/** Starts a server on a free loopback port with `handler`, and a client for it. */
export async function startTestUpstream(handler: RequestListener, timeoutMs = 2_000): Promise<TestUpstream> {
  const server: Server = createServer(handler);
  const url = await new Promise<string>((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
  const http = new UpstreamHttp();
  const endpoint = upstreamEndpoint(url);
  const logger = pino({ level: "silent" });
  return {
    http,
    call: (path, extra = {}) => ({ endpoint, path, headers: { "content-type": "application/json" }, body: "{}", timeoutMs, upstream: "test", logger, ...extra }),
    async close() {
      await http.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
