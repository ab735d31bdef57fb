// HTTP to upstream model servers over undici: ONE keep-alive Pool per upstream origin, shared
// by every model pointing at it. This is on the gateway's hot path, so a call does one Map
// lookup, one JSON.stringify and one pool.request; global fetch is avoided (Web streams and
// Request/Response objects cost several allocations per call).
import type { Logger } from "pino";
import { Pool, type Dispatcher } from "undici";
import { BasaltError } from "../../spec/errors.ts";
import { retryAfterSeconds, statusError, transportError } from "./errors.ts";

/** Where an upstream lives: the pool key plus the path prefix every call is appended to. */
export interface UpstreamEndpoint {
  origin: string;
  basePath: string;
  /** Query string of the base URL (e.g. Azure's api-version), appended to every path. */
  search: string;
}

/** Splits a base URL; a bare origin gets `defaultPrefix` (the `/v1` both APIs live under). */
export function upstreamEndpoint(baseUrl: string, defaultPrefix = "/v1"): UpstreamEndpoint {
  const url = new URL(baseUrl);
  const path = url.pathname.replace(/\/+$/, "");
  return { origin: url.origin, basePath: path === "" ? defaultPrefix : path, search: url.search };
}

/** One upstream call. */
export interface UpstreamPost {
  endpoint: UpstreamEndpoint;
  /** Appended to the endpoint's base path, e.g. `/chat/completions`. */
  path: string;
  headers: Record<string, string>;
  body: string;
  signal?: AbortSignal;
  /** Bounds waiting for the head and for each body chunk (the registry's deadline is the real bound). */
  timeoutMs: number;
  /** Upstream kind for messages, e.g. "OpenAI-compatible". */
  upstream: string;
  logger: Logger;
}

/** A successful (2xx) upstream response; the caller must consume or dump `body`. */
export type UpstreamResponse = Dispatcher.ResponseData;

const ERROR_BODY_LOG_LIMIT = 2048;

/** Pools of keep-alive sockets to upstream origins. */
export class UpstreamHttp {
  private readonly pools = new Map<string, Pool>();
  private readonly sizes = new Map<string, number>();

  /** Declares an origin's pool size; models sharing an origin get the largest they ask for. */
  reserve(origin: string, connections: number): void {
    this.sizes.set(origin, Math.max(this.sizes.get(origin) ?? 0, connections));
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.sizes.get(origin) ?? 128,
        pipelining: 1,
        // Idle sockets stay warm for bursts; a server's Keep-Alive hint shortens this.
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 600_000,
        connect: { timeout: 10_000 },
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** POSTs JSON; resolves on 2xx, throws a BasaltError for any other status or transport failure. */
  async post(call: UpstreamPost): Promise<UpstreamResponse> {
    const { endpoint, signal, upstream } = call;
    let response: UpstreamResponse;
    try {
      response = await this.pool(endpoint.origin).request({
        method: "POST",
        path: endpoint.basePath + call.path + endpoint.search,
        headers: call.headers,
        body: call.body,
        signal,
        headersTimeout: call.timeoutMs,
        bodyTimeout: call.timeoutMs,
      });
    } catch (error) {
      throw transportError({ upstream, error, signal });
    }
    const status = response.statusCode;
    if (status >= 200 && status < 300) return response;
    await discardErrorBody(response, call);
    throw statusError({ upstream, status, retryAfterSeconds: retryAfterSeconds(response.headers) });
  }

  /** Destroys every pool and its sockets; a later call opens fresh ones. */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.destroy().catch(() => undefined)));
  }
}

/** Reads an error body only for the debug log (it never reaches a client); otherwise drains it. */
async function discardErrorBody(response: UpstreamResponse, call: UpstreamPost): Promise<void> {
  try {
    if (call.logger.isLevelEnabled("debug")) {
      const text = await response.body.text();
      call.logger.debug({ status: response.statusCode, body: text.slice(0, ERROR_BODY_LOG_LIMIT) }, "upstream error response");
    } else {
      await response.body.dump({ limit: 64 * 1024 });
    }
  } catch {
    // The socket went away while draining: nothing to release, the status is what matters.
  }
}

/** Options of {@link readJsonBody}. */
export interface ReadJsonOptions {
  upstream: string;
  signal?: AbortSignal;
  logger: Logger;
}

/** Reads a whole JSON body, mapping a socket failure or invalid JSON to Basalt errors. */
export async function readJsonBody(response: UpstreamResponse, { upstream, signal, logger }: ReadJsonOptions): Promise<unknown> {
  let text: string;
  try {
    text = await response.body.text();
  } catch (error) {
    throw transportError({ upstream, error, signal });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    logger.debug({ body: text.slice(0, ERROR_BODY_LOG_LIMIT) }, "upstream returned invalid JSON");
    throw new BasaltError("MODEL_ERROR", `The ${upstream} upstream returned a body that is not JSON.`, { cause: error });
  }
}
