// An incremental HTTP/1.1 response parser for the upstream client (RFC 9112): the status
// line and header block, then the body framed by Content-Length, chunked transfer coding or
// the end of the connection. Body bytes are handed on as views of the socket's own chunks,
// never copied. It parses responses only, one at a time (the client does not pipeline), and
// refuses anything malformed with an UpstreamProtocolError rather than guessing.
// Written by hand instead of using undici's parser: see docs/decisions/0030-upstream-http1-client.md.

/**
 * A response's header block, kept as text: a call reads at most a header or two (Retry-After on
 * an error), so nothing is split into an object up front. Lookups ignore case; a repeated
 * header's values are joined with ", ".
 */
export class ResponseHeaders {
  constructor(private readonly text: string) {}

  get(header: string): string | undefined {
    const { text } = this;
    const name = header.toLowerCase();
    let value: string | undefined;
    let lineEnd = text.indexOf("\r\n");
    while (lineEnd !== -1) {
      const from = lineEnd + 2;
      lineEnd = text.indexOf("\r\n", from);
      if (text.charCodeAt(from + name.length) !== 0x3a || text.slice(from, from + name.length).toLowerCase() !== name) continue;
      const found = text.slice(from + name.length + 1, lineEnd === -1 ? text.length : lineEnd).trim();
      value = value === undefined ? found : `${value}, ${found}`;
    }
    return value;
  }
}

/** What the parser reports, in order: one or more heads (1xx first), body chunks, the end. */
export interface ResponseListener {
  /**
   * A response head; 1xx heads come before the final one and have no body. Returning false for
   * the final head pauses, as {@link onBody} does.
   */
  onHead(status: number, headers: ResponseHeaders): boolean | void;
  /** Returning false pauses: {@link ResponseParser.execute} returns before parsing further bytes. */
  onBody(chunk: Buffer): boolean | void;
  onMessageComplete(): void;
}

/** A response that breaks HTTP/1.1's grammar or framing. */
export class UpstreamProtocolError extends Error {
  readonly code = "UPSTREAM_PROTOCOL";
}

/** Longest head (status line and headers) accepted: undici's and Node's default. */
export const MAX_HEAD_BYTES = 16 * 1024;
/** Longest chunk-size line (size, extensions) or trailer line accepted. */
const MAX_LINE_BYTES = 4 * 1024;
/** Longest trailer section accepted. */
const MAX_TRAILER_BYTES = 16 * 1024;

const CRLF_CRLF = Buffer.from("\r\n\r\n");
const LF = 0x0a;
const CR = 0x0d;

const enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailer,
  UntilClose,
  Done,
}

/** A Content-Length value; repeated identical values (joined by ", ") are one, any difference is an error. */
function contentLengthValue(value: string): number {
  if (value.length > 0 && value.length <= 15) {
    let length = 0;
    let i = 0;
    for (; i < value.length; i++) {
      const digit = value.charCodeAt(i) - 0x30;
      if (!(digit >= 0 && digit <= 9)) break;
      length = length * 10 + digit;
    }
    if (i === value.length) return length;
  }
  const values = value.split(",").map((v) => v.trim());
  if (values.length > 1 && values.every((v) => v === values[0])) return contentLengthValue(values[0]!);
  throw new UpstreamProtocolError("The upstream's response has an invalid Content-Length.");
}

/** The value of a hexadecimal digit's byte, or -1. */
function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

function joined(previous: string | undefined, value: string): string {
  return previous === undefined ? value : `${previous}, ${value}`;
}

/** The status code of "HTTP/1.x NNN[ reason]", or -1 when the line does not have that shape. */
function statusCode(text: string): number {
  let code = 0;
  for (let i = 9; i < 12; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (!(digit >= 0 && digit <= 9)) return -1;
    code = code * 10 + digit;
  }
  const after = text.charCodeAt(12);
  return text.charCodeAt(8) === 0x20 && (Number.isNaN(after) || after === 0x20 || after === 0x0d) ? code : -1;
}

/** Parses the responses of one connection, one after another (call {@link reset} in between). */
export class ResponseParser {
  private state = State.Head;
  /** The final head's listener asked to pause (read by execute() right after the head). */
  private paused = false;
  /** Bytes of a head, chunk-size line or trailer split across socket chunks. */
  private pending: Buffer | undefined;
  private remaining = 0;
  private trailerBytes = 0;
  /** The final response allows the connection to carry another one. */
  keepAlive = true;
  /** The server's Keep-Alive timeout hint, in seconds, when it sent one. */
  keepAliveHintSeconds: number | undefined;

  constructor(
    private readonly listener: ResponseListener,
    /** The request was HEAD: its response has no body, whatever its headers say. */
    private headRequest = false,
  ) {}

  /** Readies the parser for the next response on the same connection. */
  reset(headRequest = false): void {
    this.state = State.Head;
    this.paused = false;
    this.pending = undefined;
    this.headRequest = headRequest;
    this.keepAlive = true;
    this.keepAliveHintSeconds = undefined;
  }

  /** Whether the response ended (its last byte was parsed). */
  get complete(): boolean {
    return this.state === State.Done;
  }

  /** Whether any byte of the current response has arrived. */
  get started(): boolean {
    return this.state !== State.Head || this.pending !== undefined;
  }

  /**
   * Parses `data`; returns how many bytes it consumed: fewer than `data.length` once the response
   * is complete (the rest is not part of it), or when a listener paused (parse the rest later).
   * Throws UpstreamProtocolError on malformed input.
   */
  execute(data: Buffer): number {
    if (this.state === State.Done) return 0;
    let at = 0;
    while (at < data.length && this.state !== State.Done) {
      switch (this.state) {
        case State.Head:
          at = this.head(data, at);
          if (this.paused) return this.resumeAt(at);
          break;
        case State.Length: {
          const take = Math.min(this.remaining, data.length - at);
          this.remaining -= take;
          const chunk = at === 0 && take === data.length ? data : data.subarray(at, at + take);
          at += take;
          if (this.remaining === 0) this.state = State.Done;
          if (this.listener.onBody(chunk) === false && this.state !== State.Done) return at;
          break;
        }
        case State.UntilClose:
          this.listener.onBody(at === 0 ? data : data.subarray(at));
          at = data.length;
          break;
        case State.ChunkSize:
          at = this.chunkSize(data, at);
          break;
        case State.ChunkData: {
          const take = Math.min(this.remaining, data.length - at);
          this.remaining -= take;
          const chunk = data.subarray(at, at + take);
          at += take;
          if (this.remaining === 0) this.state = State.ChunkDataEnd;
          if (this.listener.onBody(chunk) === false) return at;
          break;
        }
        case State.ChunkDataEnd:
          at = this.chunkDataEnd(data, at);
          break;
        case State.Trailer:
          at = this.trailer(data, at);
          break;
      }
    }
    if (this.state === State.Done) this.listener.onMessageComplete();
    return at;
  }

  /** The final head's listener paused before the body: completes a body-less response, else stops. */
  private resumeAt(at: number): number {
    this.paused = false;
    if (this.state === State.Done) this.listener.onMessageComplete();
    return at;
  }

  /**
   * The connection ended. Returns true when that completed the response (a body framed by
   * the connection's end); throws when the response was cut short.
   */
  end(): boolean {
    if (this.state === State.UntilClose) {
      this.state = State.Done;
      this.listener.onMessageComplete();
      return true;
    }
    if (this.state === State.Done) return false;
    throw new UpstreamProtocolError(this.started ? "The upstream closed the connection before the response was complete." : "The upstream closed the connection without responding.");
  }

  private head(data: Buffer, at: number): number {
    let buffer = data;
    let start = at;
    if (this.pending) {
      buffer = Buffer.concat([this.pending, data.subarray(at)]);
      start = 0;
    }
    // The terminator may straddle the previous chunk: search from just before the new bytes.
    const searchFrom = this.pending ? Math.max(0, this.pending.length - 3) : start;
    const end = buffer.indexOf(CRLF_CRLF, searchFrom);
    if (end === -1) {
      if (buffer.length - start > MAX_HEAD_BYTES) throw new UpstreamProtocolError("The upstream's response head is too large.");
      this.pending = start === 0 && buffer !== data ? buffer : Buffer.from(buffer.subarray(start));
      return data.length;
    }
    if (end - start > MAX_HEAD_BYTES) throw new UpstreamProtocolError("The upstream's response head is too large.");
    const consumedOfData = this.pending ? end + 4 - this.pending.length + at : end + 4;
    this.pending = undefined;
    this.parseHead(buffer.toString("latin1", start, end));
    return consumedOfData;
  }

  private parseHead(text: string): void {
    // The status line: "HTTP/1.x NNN reason" (the reason phrase is not used).
    const minor = text.charCodeAt(7);
    const code = statusCode(text);
    if (!text.startsWith("HTTP/1.") || (minor !== 0x30 && minor !== 0x31) || code === -1) {
      throw new UpstreamProtocolError("The upstream's response has a malformed status line.");
    }
    // Only the headers that frame the body or keep the connection are read here. Every line must
    // still have a name with no whitespace around it: an obsolete fold (a line starting with
    // whitespace) or "Content-Length : 5" is refused, as request smuggling relies on such lines.
    let connection: string | undefined;
    let keepAliveHint: string | undefined;
    let contentLength: string | undefined;
    let transferEncoding: string | undefined;
    let lineEnd = text.indexOf("\r\n");
    while (lineEnd !== -1) {
      const from = lineEnd + 2;
      lineEnd = text.indexOf("\r\n", from);
      const to = lineEnd === -1 ? text.length : lineEnd;
      const colon = text.indexOf(":", from);
      const first = text.charCodeAt(from);
      const last = text.charCodeAt(colon - 1);
      if (colon <= from || colon > to || first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09) {
        throw new UpstreamProtocolError("The upstream's response has a malformed header line.");
      }
      const length = colon - from;
      if (length !== 10 && length !== 14 && length !== 17) continue;
      const name = text.slice(from, colon).toLowerCase();
      const value = text.slice(colon + 1, to).trim();
      if (name === "connection") connection = joined(connection, value);
      else if (name === "keep-alive") keepAliveHint = joined(keepAliveHint, value);
      else if (name === "content-length") contentLength = joined(contentLength, value);
      else if (name === "transfer-encoding") transferEncoding = joined(transferEncoding, value);
    }
    const headers = new ResponseHeaders(text);
    if (code < 200) {
      // 1xx: informational, no body; the final head follows (101 would switch protocols: never asked for).
      if (code === 101) throw new UpstreamProtocolError("The upstream switched protocols unasked.");
      this.listener.onHead(code, headers);
      return;
    }
    const closing = connection?.toLowerCase();
    this.keepAlive = minor === 0x31 ? !closing?.includes("close") : closing?.includes("keep-alive") === true;
    if (keepAliveHint !== undefined) {
      const timeout = /timeout=(\d+)/i.exec(keepAliveHint);
      if (timeout) this.keepAliveHintSeconds = Number(timeout[1]);
    }
    this.frame(code, contentLength, transferEncoding);
    if (this.listener.onHead(code, headers) === false) this.paused = true;
  }

  /** Picks the body's framing (RFC 9112 §6.3). */
  private frame(code: number, contentLength: string | undefined, transferEncoding: string | undefined): void {
    if (this.headRequest || code === 204 || code === 304) {
      this.state = State.Done;
      return;
    }
    if (transferEncoding !== undefined) {
      // Both framings at once is a smuggling vector: the connection is not reused.
      if (contentLength !== undefined) this.keepAlive = false;
      const codings = transferEncoding.toLowerCase().split(",");
      if (codings[codings.length - 1]!.trim() === "chunked") {
        this.state = State.ChunkSize;
      } else {
        this.state = State.UntilClose;
        this.keepAlive = false;
      }
      return;
    }
    if (contentLength !== undefined) {
      this.remaining = contentLengthValue(contentLength);
      this.state = this.remaining === 0 ? State.Done : State.Length;
      return;
    }
    this.state = State.UntilClose;
    this.keepAlive = false;
  }

  /** Reads one line (without its CRLF) across chunks; undefined until its LF has arrived. */
  private line(data: Buffer, at: number, limit: number): { text: string; next: number; size: number } | undefined {
    const lf = data.indexOf(LF, at);
    if (lf === -1) {
      const part = data.subarray(at);
      this.pending = this.pending ? Buffer.concat([this.pending, part]) : Buffer.from(part);
      if (this.pending.length > limit) throw new UpstreamProtocolError("The upstream's chunked body has an overlong line.");
      return undefined;
    }
    let bytes = data.subarray(at, lf);
    if (this.pending) {
      bytes = Buffer.concat([this.pending, bytes]);
      this.pending = undefined;
    }
    if (bytes.length > limit) throw new UpstreamProtocolError("The upstream's chunked body has an overlong line.");
    if (bytes.length === 0 || bytes[bytes.length - 1] !== CR) throw new UpstreamProtocolError("The upstream's chunked body has a line without CRLF.");
    return { text: bytes.toString("latin1", 0, bytes.length - 1), next: lf + 1, size: bytes.length + 1 };
  }

  private chunkSize(data: Buffer, at: number): number {
    if (this.pending === undefined) {
      // The common case, a bare size line whole in this chunk, read from the bytes (a streamed
      // response has one per event: no string, regex or object for it).
      let size = 0;
      let i = at;
      for (; i < data.length && i - at < 12; i++) {
        const digit = hexDigit(data[i]!);
        if (digit === -1) break;
        size = size * 16 + digit;
      }
      if (i > at && data[i] === CR && data[i + 1] === LF) {
        this.remaining = size;
        this.startChunk();
        return i + 2;
      }
    }
    const line = this.line(data, at, MAX_LINE_BYTES);
    if (!line) return data.length;
    const semicolon = line.text.indexOf(";");
    const size = (semicolon === -1 ? line.text : line.text.slice(0, semicolon)).trim();
    if (!/^[0-9a-fA-F]{1,12}$/.test(size)) throw new UpstreamProtocolError("The upstream's chunked body has an invalid chunk size.");
    this.remaining = parseInt(size, 16);
    this.startChunk();
    return line.next;
  }

  /** After a size line: the chunk's data, or the trailers after the last (empty) chunk. */
  private startChunk(): void {
    if (this.remaining === 0) {
      this.state = State.Trailer;
      this.trailerBytes = 0;
    } else this.state = State.ChunkData;
  }

  private chunkDataEnd(data: Buffer, at: number): number {
    if (this.pending === undefined && data[at] === CR && data[at + 1] === LF) {
      this.state = State.ChunkSize;
      return at + 2;
    }
    const line = this.line(data, at, 2);
    if (!line) return data.length;
    if (line.text !== "") throw new UpstreamProtocolError("The upstream's chunked body has data past a chunk's size.");
    this.state = State.ChunkSize;
    return line.next;
  }

  private trailer(data: Buffer, at: number): number {
    const line = this.line(data, at, MAX_LINE_BYTES);
    if (!line) return data.length;
    this.trailerBytes += line.size;
    if (this.trailerBytes > MAX_TRAILER_BYTES) throw new UpstreamProtocolError("The upstream's trailers are too large.");
    if (line.text === "") this.state = State.Done; // trailers themselves are not used
    return line.next;
  }
}
