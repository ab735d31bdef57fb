// Pieces shared by the fake upstream servers (openai-upstream.ts, anthropic-upstream.ts):
// body reading, connection tracking and the echo "model" that honours max tokens and stops.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** One request an upstream received. */
export interface RecordedRequest {
  path: string;
  headers: IncomingMessage["headers"];
  body: any;
}

/** What every fake upstream returns. */
export interface FakeUpstream {
  /** The origin, e.g. http://127.0.0.1:1234 (providers add /v1 themselves). */
  url: string;
  port: number;
  /** Requests received, in order (empty when recording is off). */
  requests: RecordedRequest[];
  /** Sockets currently open to this server. */
  openConnections(): number;
  /** Requests to the "hang" model whose connection is still open (the caller has not given up). */
  hanging(): number;
  close(): Promise<void>;
}

/** Options every fake upstream takes. */
export interface FakeUpstreamOptions {
  port?: number;
  /** Content chunks per streamed answer; default one per word. */
  chunkCount?: number;
  /** Delay between streamed chunks. */
  chunkDelayMs?: number;
  /** Delay before the head for the "slow-first-byte" model. */
  slowFirstByteMs?: number;
  /** Required API key; requests without it get 401. */
  apiKey?: string;
  /** Record requests in `requests` (turn off for benchmarks). Default true. */
  record?: boolean;
}

/** Reads and parses a JSON request body (undefined when it is not JSON). */
export function readJson(req: IncomingMessage): Promise<any> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      try {
        resolve(JSON.parse(body));
      } catch {
        resolve(undefined);
      }
    });
    req.on("error", reject);
  });
}

/** Sends a JSON body with a content-length (so keep-alive needs no chunked framing). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Rough token count: words. Cheap, deterministic and > 0 for any non-empty prompt. */
export function countWords(text: string): number {
  const words = text.trim().split(/\s+/);
  return words[0] === "" ? 0 : words.length;
}

/** The echo model's answer: `text` cut at the first stop sequence, then at `maxTokens` words. */
export function echoReply(text: string, maxTokens: number | undefined, stops: string[] | undefined) {
  let out = text;
  let stopped: string | undefined;
  for (const stop of stops ?? []) {
    const at = stop ? out.indexOf(stop) : -1;
    if (at !== -1) {
      out = out.slice(0, at);
      stopped = stop;
    }
  }
  let tokens = out.split(/(?<=\s)/).filter(Boolean);
  let truncated = false;
  if (maxTokens !== undefined && tokens.length > maxTokens) {
    tokens = tokens.slice(0, maxTokens);
    truncated = true;
    stopped = undefined;
  }
  return { tokens, truncated, stopped };
}

/** Splits tokens into `count` chunks (default: one per token). */
export function chunked(tokens: string[], count: number | undefined): string[] {
  if (!count || count >= tokens.length) return tokens;
  const out: string[] = [];
  const size = Math.ceil(tokens.length / count);
  for (let i = 0; i < tokens.length; i += size) out.push(tokens.slice(i, i + size).join(""));
  return out;
}

/** Writes SSE frames, `delayMs` apart (in one write when 0); calls `done` after the last. */
export function writeFrames(res: ServerResponse, frames: string[], delayMs: number, done?: () => void): void {
  if (!delayMs) {
    // One write, one chunk on the wire: the benchmark's upstream must cost little.
    if (done) {
      res.write(frames.join(""));
      done();
    } else res.end(frames.join(""));
    return;
  }
  let i = 0;
  const tick = () => {
    if (res.destroyed) return;
    if (i < frames.length) {
      res.write(frames[i++]);
      setTimeout(tick, delayMs);
    } else if (done) done();
    else res.end();
  };
  tick();
}

/** Starts `server` on loopback, tracking sockets, and returns the shared handle. */
export async function listenUpstream(server: Server, options: FakeUpstreamOptions, requests: RecordedRequest[], hanging: () => number = () => 0): Promise<FakeUpstream> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    // A client that hangs up mid-request is gone: drop the socket, as inference servers do
    // (Node would otherwise keep it half-open waiting to write a response).
    socket.on("end", () => socket.destroy());
  });
  // Long keep-alive, as real inference servers behind a gateway are configured.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    openConnections: () => sockets.size,
    hanging,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
