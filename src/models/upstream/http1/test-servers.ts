// Test support for the upstream HTTP/1.1 pool: real local servers (node:http for well-behaved
// upstreams, raw node:net sockets for malformed, abrupt or unsolicited bytes), a pool closed after
// each test, and a recording handler for dispatched calls.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer as createHttpServer, type IncomingMessage, type RequestListener } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from "node:net";
import type { TestContext } from "node:test";
import { Http1Pool, type Http1PoolOptions, type Http1Request, type ResponseHandler } from "./pool.ts";
import type { ResponseHeaders } from "./response-parser.ts";

// ---- servers ----

export interface TestServer {
  origin: string;
  port: number;
  /** Server-side sockets, in the order they were accepted. */
  sockets: Socket[];
  /** Most sockets open at once. */
  maxOpen: number;
}

/** Listens on a free loopback port, counts sockets, and closes everything after the test. */
export async function listen(t: TestContext, server: Server): Promise<TestServer> {
  const tracked: TestServer = { origin: "", port: 0, sockets: [], maxOpen: 0 };
  let open = 0;
  server.on("connection", (socket: Socket) => {
    tracked.sockets.push(socket);
    tracked.maxOpen = Math.max(tracked.maxOpen, ++open);
    socket.once("close", () => open--);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  tracked.port = (server.address() as AddressInfo).port;
  tracked.origin = `http://127.0.0.1:${tracked.port}`;
  t.after(async () => {
    for (const socket of tracked.sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return tracked;
}

export function httpServer(t: TestContext, handler: RequestListener): Promise<TestServer> {
  return listen(t, createHttpServer(handler));
}

/**
 * A raw TCP server: `respond` gets each request head (requests here have no body) with the
 * index of its connection and of the request on that connection, and writes whatever it likes.
 */
export function rawServer(t: TestContext, respond: (socket: Socket, head: string, connection: number, request: number) => void): Promise<TestServer> {
  let connections = 0;
  const server = createNetServer((socket) => {
    const connection = connections++;
    let requests = 0;
    let buffered = "";
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      buffered += chunk.toString("latin1");
      let end: number;
      while ((end = buffered.indexOf("\r\n\r\n")) !== -1) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        respond(socket, head, connection, requests++);
      }
    });
  });
  return listen(t, server);
}

export async function closedPort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export function pool(t: TestContext, origin: string, options: Partial<Http1PoolOptions> = {}): Http1Pool {
  const created = new Http1Pool(origin, { connections: 4, ...options });
  t.after(() => created.close());
  return created;
}

export async function closed(socket: Socket): Promise<void> {
  if (!socket.closed) await once(socket, "close");
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise with its resolve, for the server and the test to wait on each other. */
export function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

// ---- calls ----

export interface Outcome {
  status: number | undefined;
  headers: ResponseHeaders | undefined;
  chunks: Buffer[];
  /** The chunks decoded together, set when the call ends. */
  body: string;
  completed: boolean;
  error: (Error & { code?: string }) | undefined;
  /** onComplete and onError calls together: exactly one is expected. */
  ends: number;
}

export interface Hooks {
  onHeaders?: (status: number) => boolean;
  onData?: (chunk: Buffer, call: Call) => boolean;
}

/** One dispatched call: what its handler heard, its abort and resume, and its end as a promise. */
export interface Call {
  outcome: Outcome;
  /** Resolves on onComplete or onError, never rejects. */
  ended: Promise<Outcome>;
  abort(reason?: Error): void;
  resume(): void;
}

export function dispatch(target: Http1Pool, request: Partial<Http1Request> = {}, hooks: Hooks = {}): Call {
  const outcome: Outcome = { status: undefined, headers: undefined, chunks: [], body: "", completed: false, error: undefined, ends: 0 };
  const end = signal<Outcome>();
  let abort: ((reason?: Error) => void) | undefined;
  let resume: (() => void) | undefined;
  const call: Call = {
    outcome,
    ended: end.promise,
    abort: (reason) => abort!(reason),
    resume: () => resume!(),
  };
  const handler: ResponseHandler = {
    onConnect: (a) => (abort = a),
    onHeaders: (status, headers, r) => {
      outcome.status = status;
      outcome.headers = headers;
      resume = r;
      return hooks.onHeaders?.(status) ?? true;
    },
    onData: (chunk) => {
      outcome.chunks.push(Buffer.from(chunk));
      return hooks.onData?.(chunk, call) ?? true;
    },
    onComplete: () => {
      outcome.completed = true;
      outcome.ends++;
      outcome.body = Buffer.concat(outcome.chunks).toString("utf8");
      end.resolve(outcome);
    },
    onError: (error) => {
      outcome.error = error;
      outcome.ends++;
      outcome.body = Buffer.concat(outcome.chunks).toString("utf8");
      end.resolve(outcome);
    },
  };
  target.dispatch({ method: "GET", path: "/", headers: {}, ...request }, handler);
  return call;
}

/** Awaits a call that must succeed, and returns what it heard. */
export async function ok(call: Call): Promise<Outcome> {
  const outcome = await call.ended;
  assert.equal(outcome.error, undefined, `unexpected error: ${outcome.error?.stack}`);
  assert.equal(outcome.completed, true);
  assert.equal(outcome.ends, 1);
  return outcome;
}

/** Awaits a call that must fail, and returns its error. */
export async function failed(call: Call): Promise<Error & { code?: string }> {
  const outcome = await call.ended;
  assert.equal(outcome.completed, false, "the call completed instead of failing");
  assert.ok(outcome.error);
  assert.equal(outcome.ends, 1);
  return outcome.error;
}

/** Answers every request with its path as a text body (after `ms`, when given). */
export function echoPath(ms = 0): RequestListener {
  return (req, res) => {
    req.resume();
    req.on("end", () => setTimeout(() => res.end(`path=${req.url}`), ms));
  };
}

/** A minimal well-formed response for raw servers. */
export const response = (body: string, extra = "") => `HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

/** Counts a header's occurrences in a request's raw headers. */
export function occurrences(req: IncomingMessage, name: string): number {
  return req.rawHeaders.filter((value, i) => i % 2 === 0 && value.toLowerCase() === name).length;
}
