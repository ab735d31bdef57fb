// A keep-alive HTTP/1.1 connection pool for one upstream origin (http or https): at most
// `connections` sockets, requests beyond that wait in order, one request per socket at a time
// (no pipelining). A call is a request plus a handler whose callbacks follow undici's
// dispatch interface (onConnect, onHeaders, onData, onComplete, onError), so the handlers that
// gather JSON and parse SSE drive it directly. It is the gateway's hot path: one string write
// per request, responses parsed in place (response-parser.ts), no timers per request unless the
// call asks for an idle bound, and idle sockets expired by one sweep per pool rather than a
// timer each. Why not undici: docs/decisions/0030-upstream-http1-client.md.
import { connect as netConnect, isIP, type Socket } from "node:net";
import { connect as tlsConnect, rootCertificates } from "node:tls";
import { ResponseParser, type ResponseHeaders, type ResponseListener } from "./response-parser.ts";

/** One request to the pool's origin. */
export interface Http1Request {
  method: string;
  /** Path and query, e.g. `/v1/chat/completions`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Fails the call when this long passes without a response byte; absent: the caller bounds it. */
  idleTimeoutMs?: number;
}

/** The callbacks of one call, in undici's dispatch-handler shape. */
export interface ResponseHandler {
  /** Called at once with the call's abort; an abort ends the call with onError(reason). */
  onConnect(abort: (reason?: Error) => void): void;
  /** The final response head; return false to pause the body until `resume` is called. */
  onHeaders(status: number, headers: ResponseHeaders, resume: () => void): boolean;
  /** A body chunk; return false to pause the body until `resume` is called. */
  onData(chunk: Buffer): boolean;
  onComplete(): void;
  onError(error: Error): void;
}

/** Options of {@link Http1Pool}. */
export interface Http1PoolOptions {
  /** Most sockets open at once. */
  connections: number;
  /** How long an idle socket is kept (default 30 s); a server's Keep-Alive hint (less 1 s) replaces it. */
  keepAliveMs?: number;
  /** The most a server's Keep-Alive hint may extend it to (default 600 s). */
  maxKeepAliveMs?: number;
  /** How long a new socket may take to connect (default 10 s). */
  connectTimeoutMs?: number;
  /** For an https origin: certificates (PEM) trusted besides the system's roots, e.g. an internal CA. */
  ca?: string;
}

/** A failure of the client itself (timeouts, closed sockets, a closed pool), with a stable code. */
export class UpstreamConnectionError extends Error {
  constructor(
    message: string,
    readonly code: "UPSTREAM_CONNECT_TIMEOUT" | "UPSTREAM_TIMEOUT" | "UPSTREAM_SOCKET_CLOSED" | "UPSTREAM_POOL_CLOSED" | "UPSTREAM_INVALID_REQUEST",
  ) {
    super(message);
  }
}

/** A server's Keep-Alive hint is cut by this margin, so we never reuse a socket it is closing. */
const KEEP_ALIVE_MARGIN_MS = 1000;
const SWEEP_INTERVAL_MS = 1000;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const INVALID_VALUE = /[\r\n\0]/;
const PATH = /^\/[^\s]*$/;
/** Headers the client writes itself; a caller's own copies are dropped. */
const RESERVED = new Set(["host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade"]);

/** One call: its request, written once, and its handler. */
class Exchange {
  connection: Connection | undefined = undefined;
  done = false;

  constructor(
    readonly payload: string,
    /** A HEAD request: its response has no body. */
    readonly head: boolean,
    readonly idleTimeoutMs: number | undefined,
    readonly handler: ResponseHandler,
  ) {}
}

/** Keep-alive HTTP/1.1 sockets to one origin. */
export class Http1Pool {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  /** The Host header: the origin's authority as the URL names it. */
  private readonly authority: string;
  readonly connections: number;
  readonly keepAliveMs: number;
  readonly maxKeepAliveMs: number;
  readonly connectTimeoutMs: number;
  /** The roots an https origin's certificate is checked against: the system's, plus `ca`. */
  readonly ca: string[] | undefined;
  private readonly open = new Set<Connection>();
  private readonly idle: Connection[] = [];
  private readonly queue: Exchange[] = [];
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;
  /**
   * Header lines already checked and written out, by headers object: providers build theirs once
   * and send the same object on every call. (A caller must not change an object it has sent.)
   */
  private readonly headerBlocks = new WeakMap<Record<string, string>, string>();

  constructor(origin: string, options: Http1PoolOptions) {
    const url = new URL(origin);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`Unsupported upstream protocol ${url.protocol}`);
    this.secure = url.protocol === "https:";
    this.host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    this.port = url.port ? Number(url.port) : this.secure ? 443 : 80;
    this.authority = url.host;
    this.connections = Math.max(1, options.connections);
    this.keepAliveMs = options.keepAliveMs ?? 30_000;
    this.maxKeepAliveMs = options.maxKeepAliveMs ?? 600_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.ca = options.ca === undefined ? undefined : [...rootCertificates, options.ca];
  }

  /** Sends `request`; `handler` hears the outcome. Never throws. */
  dispatch(request: Http1Request, handler: ResponseHandler): void {
    let payload: string;
    try {
      payload = this.serialize(request);
    } catch (error) {
      handler.onError(error as Error);
      return;
    }
    const exchange = new Exchange(payload, request.method === "HEAD", request.idleTimeoutMs, handler);
    handler.onConnect((reason) => this.abort(exchange, reason));
    if (exchange.done) return;
    if (this.closed) return this.fail(exchange, new UpstreamConnectionError("The upstream client is closed.", "UPSTREAM_POOL_CLOSED"));
    const connection = this.takeIdle();
    if (connection) connection.start(exchange);
    else if (this.open.size < this.connections) this.connect().start(exchange);
    else this.queue.push(exchange);
  }

  /** Destroys every socket; calls in flight or waiting fail. Later calls fail at once. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const exchange of this.queue.splice(0)) this.fail(exchange, new UpstreamConnectionError("The upstream client is closed.", "UPSTREAM_POOL_CLOSED"));
    const closing = [...this.open].map((connection) => connection.destroyed());
    for (const connection of [...this.open]) connection.fail(new UpstreamConnectionError("The upstream client is closed.", "UPSTREAM_POOL_CLOSED"));
    await Promise.all(closing);
  }

  /** A connection finished a response and may carry another. */
  release(connection: Connection): void {
    const next = this.queue.shift();
    if (next) return connection.start(next);
    connection.idleSince = performance.now();
    this.idle.push(connection);
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_INTERVAL_MS).unref();
  }

  /** A connection closed: it leaves the pool, and a waiting call may open a new one. */
  remove(connection: Connection): void {
    if (!this.open.delete(connection)) return;
    const at = this.idle.indexOf(connection);
    if (at !== -1) this.idle.splice(at, 1);
    if (this.queue.length > 0 && !this.closed && this.open.size < this.connections) this.connect().start(this.queue.shift()!);
  }

  private connect(): Connection {
    const connection = new Connection(this);
    this.open.add(connection);
    return connection;
  }

  /** The most recently used idle socket still worth using (warm, and within its keep-alive). */
  private takeIdle(): Connection | undefined {
    const now = performance.now();
    let connection: Connection | undefined;
    while ((connection = this.idle.pop()) !== undefined) {
      if (connection.usable(now)) return connection;
      connection.fail(undefined);
    }
    return undefined;
  }

  private sweep(): void {
    const now = performance.now();
    for (const connection of this.idle.slice()) if (!connection.usable(now)) connection.fail(undefined);
    if (this.idle.length === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private abort(exchange: Exchange, reason: Error | undefined): void {
    if (exchange.done) return;
    const error = reason ?? new Error("The upstream call was aborted.");
    if (exchange.connection) return exchange.connection.fail(error);
    const at = this.queue.indexOf(exchange);
    if (at !== -1) this.queue.splice(at, 1);
    this.fail(exchange, error);
  }

  private fail(exchange: Exchange, error: Error): void {
    if (exchange.done) return;
    exchange.done = true;
    exchange.handler.onError(error);
  }

  /** The request as one string: request line, headers, Content-Length, body. */
  private serialize(request: Http1Request): string {
    const { method, path, headers, body } = request;
    if (!TOKEN.test(method) || !PATH.test(path)) throw new UpstreamConnectionError("The upstream request has an invalid method or path.", "UPSTREAM_INVALID_REQUEST");
    let block = this.headerBlocks.get(headers);
    if (block === undefined) {
      block = headerBlock(headers);
      this.headerBlocks.set(headers, block);
    }
    const head = `${method} ${path} HTTP/1.1\r\nhost: ${this.authority}\r\n${block}`;
    if (body === undefined) return `${head}\r\n`;
    return `${head}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  }
}

/** A caller's headers as header lines, checked: no injected line breaks, none of the client's own. */
function headerBlock(headers: Record<string, string>): string {
  let block = "";
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (!TOKEN.test(name) || INVALID_VALUE.test(value)) throw new UpstreamConnectionError(`The upstream request header ${JSON.stringify(name)} is invalid.`, "UPSTREAM_INVALID_REQUEST");
    if (RESERVED.has(name.toLowerCase())) continue;
    block += `${name}: ${value}\r\n`;
  }
  return block;
}

/** One socket and the call it carries. */
class Connection implements ResponseListener {
  private readonly socket: Socket;
  private readonly parser = new ResponseParser(this);
  private exchange: Exchange | undefined = undefined;
  private closed = false;
  private paused = false;
  /** Bytes of a socket chunk left unparsed when the handler paused, parsed first on resume. */
  private held: Buffer | undefined = undefined;
  private timer: NodeJS.Timeout | undefined = undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private readonly closedPromise: Promise<void>;
  idleSince = 0;
  private keepAliveMs: number;

  constructor(private readonly pool: Http1Pool) {
    this.keepAliveMs = pool.keepAliveMs;
    const { host, port } = pool;
    this.socket = pool.secure
      ? tlsConnect({ host, port, servername: isIP(host) ? undefined : host, ALPNProtocols: ["http/1.1"], ca: pool.ca })
      : netConnect({ host, port });
    this.socket.setNoDelay(true);
    this.socket.setKeepAlive(true, 60_000);
    this.connectTimer = setTimeout(
      () => this.fail(new UpstreamConnectionError(`Connecting to the upstream took longer than ${pool.connectTimeoutMs} ms.`, "UPSTREAM_CONNECT_TIMEOUT")),
      pool.connectTimeoutMs,
    );
    this.socket.once(pool.secure ? "secureConnect" : "connect", () => {
      clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
    });
    this.socket.on("data", (chunk: Buffer) => this.onSocketData(chunk));
    this.socket.on("end", () => this.onSocketEnd());
    this.socket.on("error", (error) => this.fail(error));
    this.closedPromise = new Promise((resolve) =>
      this.socket.once("close", () => {
        this.fail(new UpstreamConnectionError("The upstream closed the connection.", "UPSTREAM_SOCKET_CLOSED"));
        resolve();
      }),
    );
  }

  /** Resolves once the socket has closed. */
  destroyed(): Promise<void> {
    return this.closedPromise;
  }

  /** Whether an idle socket can carry a call now. */
  usable(now: number): boolean {
    return !this.closed && this.socket.writable && now - this.idleSince < this.keepAliveMs;
  }

  /** Writes a call's request; its response will come through the parser. */
  start(exchange: Exchange): void {
    this.exchange = exchange;
    exchange.connection = this;
    this.parser.reset(exchange.head);
    this.socket.write(exchange.payload);
    if (exchange.idleTimeoutMs !== undefined) this.arm(exchange.idleTimeoutMs);
  }

  /** Ends a pause the handler asked for: held bytes are parsed first, then the socket flows again. */
  readonly resume = (): void => {
    if (!this.paused || this.closed) return;
    this.paused = false;
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) this.onSocketData(held);
    if (this.paused || this.closed) return;
    this.socket.resume();
    if (this.exchange?.idleTimeoutMs !== undefined) this.arm(this.exchange.idleTimeoutMs);
  };

  // ---- the parser's callbacks ----

  onHead(status: number, headers: ResponseHeaders): boolean {
    const exchange = this.exchange;
    if (status < 200 || exchange === undefined || exchange.done) return true; // 1xx: the final head follows
    if (exchange.handler.onHeaders(status, headers, this.resume) !== false) return true;
    this.pause();
    return false;
  }

  onBody(chunk: Buffer): boolean {
    const exchange = this.exchange;
    if (exchange === undefined || exchange.done) return true;
    if (exchange.handler.onData(chunk) !== false) return true;
    this.pause();
    return false;
  }

  onMessageComplete(): void {
    // Read from the parser (`complete`) once execute() returns: the socket is released only then.
  }

  // ---- the socket's events ----

  private onSocketData(chunk: Buffer): void {
    const exchange = this.exchange;
    if (exchange === undefined) return this.fail(undefined); // bytes nobody asked for: the socket is not trusted again
    this.timer?.refresh();
    let consumed: number;
    try {
      consumed = this.parser.execute(chunk);
    } catch (error) {
      return this.fail(error as Error);
    }
    if (this.exchange !== exchange) return; // aborted or failed meanwhile
    if (this.parser.complete) this.complete(exchange, this.parser.keepAlive && consumed === chunk.length);
    else if (consumed < chunk.length) this.held = chunk.subarray(consumed); // paused mid-chunk
  }

  private onSocketEnd(): void {
    const exchange = this.exchange;
    if (exchange !== undefined) {
      try {
        if (this.parser.end()) return this.complete(exchange, false);
      } catch (error) {
        return this.fail(error as Error);
      }
    }
    this.fail(undefined);
  }

  /** The response ended: the socket goes back to the pool (or closes), then the handler hears. */
  private complete(exchange: Exchange, reusable: boolean): void {
    this.exchange = undefined;
    exchange.connection = undefined;
    exchange.done = true;
    this.disarm();
    // A handler may pause on the last chunk and, being done, never resume: the next call must read.
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    const hint = this.parser.keepAliveHintSeconds;
    if (hint !== undefined) this.keepAliveMs = Math.min(this.pool.maxKeepAliveMs, hint * 1000 - KEEP_ALIVE_MARGIN_MS);
    if (reusable && !this.closed && this.keepAliveMs > 0) this.pool.release(this);
    else this.fail(undefined);
    exchange.handler.onComplete();
  }

  /** Closes the socket; the call it carries, if any, fails with `error`. Idempotent. */
  fail(error: Error | undefined): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    if (!this.closed) {
      this.closed = true;
      this.disarm();
      if (this.connectTimer) clearTimeout(this.connectTimer);
      this.socket.destroy();
      this.pool.remove(this);
    }
    if (exchange !== undefined && !exchange.done) {
      exchange.done = true;
      exchange.connection = undefined;
      exchange.handler.onError(error ?? new UpstreamConnectionError("The upstream closed the connection.", "UPSTREAM_SOCKET_CLOSED"));
    }
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
    this.disarm(); // the consumer's time is not the upstream's
  }

  private arm(ms: number): void {
    if (this.timer) this.timer.refresh();
    else this.timer = setTimeout(() => this.fail(new UpstreamConnectionError(`The upstream sent nothing for ${ms} ms.`, "UPSTREAM_TIMEOUT")), ms);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
