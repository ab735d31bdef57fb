// One port for HTTP/1.1 and cleartext HTTP/2 with prior knowledge. The AWS SDK's runtime
// and agent-runtime clients speak only h2c to an http:// endpoint (bedrock-wire.md §1.1),
// the control-plane clients and most other tools speak HTTP/1.1. We peek at the first
// bytes of each connection: the HTTP/2 preface starts with "PRI ", no HTTP/1 request does.
import { createServer as createHttp1Server, type Server as Http1Server } from "node:http";
import { createServer as createHttp2Server, type Http2Server, type Http2Session } from "node:http2";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import type { Logger } from "pino";
import type { AnyRequest, AnyResponse } from "./http.ts";

const H2_PREFIX = Buffer.from("PRI ");
/**
 * Connections the kernel may queue before we accept them (Linux caps it at somaxconn). Node's
 * default, 511, drops the SYNs of a larger burst (hundreds of streaming clients connecting at
 * once), and each dropped client waits a full second to retry.
 */
const LISTEN_BACKLOG = 4096;

/** Options of {@link DualProtocolListener}. */
export interface ListenerOptions {
  handler: (req: AnyRequest, res: AnyResponse) => void;
  logger: Logger;
  keepAliveTimeoutMs: number;
  /** Requests in flight, read during shutdown. */
  inFlight: () => number;
}

/** A listener that serves HTTP/1.1 and h2c on one port and shuts down gracefully. */
export class DualProtocolListener {
  private readonly net: NetServer;
  private readonly h1: Http1Server;
  private readonly h2: Http2Server;
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Set<Http2Session>();
  private readonly logger: Logger;
  private readonly inFlight: () => number;

  constructor(options: ListenerOptions) {
    this.logger = options.logger;
    this.inFlight = options.inFlight;
    this.h1 = createHttp1Server({ keepAliveTimeout: options.keepAliveTimeoutMs, requestTimeout: 0 }, options.handler);
    this.h1.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
      this.logger.debug({ code: error.code }, "malformed HTTP/1.1 request");
      if (socket.writable && !socket.destroyed) {
        socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      } else socket.destroy();
    });
    this.h2 = createHttp2Server({ settings: { maxConcurrentStreams: 1000 } }, options.handler);
    this.h2.on("session", (session: Http2Session) => {
      this.sessions.add(session);
      session.on("close", () => this.sessions.delete(session));
      session.on("error", (error) => this.logger.debug({ err: error.message }, "HTTP/2 session error"));
    });
    this.h2.on("sessionError", (error) => this.logger.debug({ err: error.message }, "HTTP/2 session error"));
    this.h2.setTimeout(options.keepAliveTimeoutMs, () => undefined);
    // noDelay as node:http sets it for its own sockets: without it, Nagle holds back a small write
    // (a stream's next chunk) until the client acknowledges the previous one.
    this.net = createNetServer({ noDelay: true }, (socket) => this.route(socket));
    this.net.on("error", (error) => this.logger.error({ err: error.message }, "listener error"));
  }

  private route(socket: Socket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = head.length ? Buffer.concat([head, chunk]) : chunk;
      if (head.length < H2_PREFIX.length && H2_PREFIX.subarray(0, head.length).equals(head)) return; // need more bytes
      socket.off("data", onData);
      socket.pause();
      socket.unshift(head);
      // The HTTP/2 session reads what is buffered on the socket itself when it sets up;
      // resuming here would drain the preface before it looks. HTTP/1.1 needs the resume.
      if (head.subarray(0, H2_PREFIX.length).equals(H2_PREFIX)) this.h2.emit("connection", socket);
      else {
        this.h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  }

  /** Starts listening; resolves with the bound port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.net.once("error", reject);
      this.net.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
        this.net.off("error", reject);
        resolve((this.net.address() as AddressInfo).port);
      });
    });
  }

  /**
   * Stops accepting connections, lets in-flight requests and streams finish for up to
   * `graceMs`, then closes whatever is left.
   */
  async close(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.net.close(() => resolve()));
    for (const session of this.sessions) session.close(); // GOAWAY: running streams may finish
    this.h1.closeIdleConnections();
    const deadline = Date.now() + graceMs;
    while (this.inFlight() > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      this.h1.closeIdleConnections();
    }
    this.h1.closeAllConnections();
    for (const session of this.sessions) session.destroy();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
