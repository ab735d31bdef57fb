// Unit tests of the upstream HTTP/1.1 response parser: raw bytes in, heads / body / completion
// out, every response also fed one byte at a time and split at every 2-way boundary.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_HEAD_BYTES, ResponseParser, UpstreamProtocolError, type ResponseHeaders } from "./response-parser.ts";

/** The named headers of a head, read through its lookup. */
function pick(headers: ResponseHeaders, names: string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((name) => [name, headers.get(name)]));
}

/** What a parser reported while fed some chunks. */
interface Parsed {
  parser: ResponseParser;
  heads: Array<{ status: number; headers: ResponseHeaders }>;
  body: string;
  bodyChunks: number;
  completions: number;
  /** The sum of execute's return values. */
  consumed: number;
}

function recorder(): Parsed {
  const parsed = { heads: [], body: "", bodyChunks: 0, completions: 0, consumed: 0 } as unknown as Parsed;
  parsed.parser = new ResponseParser({
    onHead: (status, headers) => void parsed.heads.push({ status, headers }),
    onBody: (chunk) => {
      parsed.body += chunk.toString("latin1");
      parsed.bodyChunks++;
    },
    onMessageComplete: () => parsed.completions++,
  });
  return parsed;
}

function feed(chunks: Buffer[]): Parsed {
  const parsed = recorder();
  for (const chunk of chunks) parsed.consumed += parsed.parser.execute(chunk);
  return parsed;
}

const bytes = (raw: string | Buffer) => (typeof raw === "string" ? Buffer.from(raw, "latin1") : raw);

function whole(raw: string | Buffer): Parsed {
  return feed([bytes(raw)]);
}

/** One chunk per byte. */
function bytewise(raw: string | Buffer): Parsed {
  const data = bytes(raw);
  return feed([...data].map((_, i) => data.subarray(i, i + 1)));
}

/** Every way of cutting the bytes in two: [0, i) and [i, end). */
function allSplits(raw: string | Buffer): Array<{ at: number; parsed: Parsed }> {
  const data = bytes(raw);
  const out: Array<{ at: number; parsed: Parsed }> = [];
  for (let i = 1; i < data.length; i++) out.push({ at: i, parsed: feed([data.subarray(0, i), data.subarray(i)]) });
  return out;
}

/** Runs `check` on the response fed whole, byte by byte, and split at every boundary. */
function everyWay(raw: string | Buffer, check: (parsed: Parsed, how: string) => void): void {
  check(whole(raw), "whole");
  check(bytewise(raw), "bytewise");
  for (const { at, parsed } of allSplits(raw)) check(parsed, `split at ${at}`);
}

/** Asserts that every way of feeding `raw` throws an UpstreamProtocolError. */
function rejectedEveryWay(raw: string | Buffer): void {
  const data = bytes(raw);
  const ways: Array<[string, Buffer[]]> = [
    ["whole", [data]],
    ["bytewise", [...data].map((_, i) => data.subarray(i, i + 1))],
  ];
  for (let i = 1; i < data.length; i++) ways.push([`split at ${i}`, [data.subarray(0, i), data.subarray(i)]]);
  for (const [how, chunks] of ways) {
    assert.throws(
      () => feed(chunks),
      (error: unknown) => error instanceof UpstreamProtocolError && error.code === "UPSTREAM_PROTOCOL",
      `expected an UpstreamProtocolError (${how})`,
    );
  }
}

/** Checks a complete response with one head (and, when given, those of its headers). */
function expectResponse(raw: string, status: number, body: string, headers?: Record<string, string | undefined>): void {
  const length = Buffer.byteLength(raw, "latin1");
  everyWay(raw, (parsed, how) => {
    assert.deepEqual(
      parsed.heads.map((h) => h.status),
      [status],
      how,
    );
    if (headers) assert.deepEqual(pick(parsed.heads[0]!.headers, Object.keys(headers)), headers, how);
    assert.equal(parsed.body, body, how);
    assert.equal(parsed.completions, 1, how);
    assert.equal(parsed.parser.complete, true, how);
    assert.equal(parsed.consumed, length, how);
  });
}

describe("ResponseParser: framing", () => {
  it("reads a Content-Length body", () => {
    expectResponse("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\":\"bc\"}\n", 200, '{"a":"bc"}\n', {
      "content-type": "application/json",
      "content-length": "11",
      "x-absent": undefined,
    });
  });

  it("reads a body of binary bytes exactly", () => {
    const body = Buffer.from([0, 1, 13, 10, 13, 10, 255, 128]);
    const raw = Buffer.concat([Buffer.from("HTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\n"), body]);
    everyWay(raw, (parsed, how) => {
      assert.deepEqual(Buffer.from(parsed.body, "latin1"), body, how);
      assert.equal(parsed.completions, 1, how);
    });
  });

  it("completes a zero-length body with the head", () => {
    expectResponse("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", 200, "");
    const parsed = whole("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
    assert.equal(parsed.bodyChunks, 0);
  });

  it("reads a chunked body with chunk extensions and trailers", () => {
    const raw =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "5;name=value\r\nhello\r\n" +
      "1 ; quoted=\"a;b\"\r\n,\r\n" +
      "B\r\n 0123456789\r\n" +
      "0;last\r\nX-Checksum: abc\r\nX-Other: d\r\n\r\n";
    expectResponse(raw, 200, "hello, 0123456789");
  });

  it("reads a chunked body with upper- and lower-case hex sizes and no trailers", () => {
    const body = "x".repeat(0x1f) + "y".repeat(0xab);
    expectResponse(`HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1F\r\n${"x".repeat(0x1f)}\r\nab\r\n${"y".repeat(0xab)}\r\n0\r\n\r\n`, 200, body);
  });

  it("survives a chunked body split inside the size line and inside the CRLF after data", () => {
    const raw = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";
    const sizeLine = raw.indexOf("10\r\n");
    const crlfAfterData = raw.indexOf("f\r\n0") + 1;
    for (const at of [sizeLine + 1, sizeLine + 2, sizeLine + 3, crlfAfterData + 1]) {
      const parsed = feed([Buffer.from(raw.slice(0, at)), Buffer.from(raw.slice(at))]);
      assert.equal(parsed.body, "0123456789abcdef", `split at ${at}`);
      assert.equal(parsed.completions, 1, `split at ${at}`);
    }
    // Three pieces: the CR and the LF after the data arrive alone.
    const parsed = feed([Buffer.from(raw.slice(0, crlfAfterData)), Buffer.from("\r"), Buffer.from("\n"), Buffer.from(raw.slice(crlfAfterData + 2))]);
    assert.equal(parsed.body, "0123456789abcdef");
    assert.equal(parsed.completions, 1);
  });

  it("reads a chunked body that is the last of several transfer codings", () => {
    expectResponse("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, Chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", 200, "hi");
  });

  it("ignores Content-Length on 204 and 304", () => {
    for (const status of [204, 304]) {
      const raw = `HTTP/1.1 ${status} Nothing\r\ncontent-length: 42\r\n\r\n`;
      expectResponse(raw, status, "");
      // The bytes after the head are not this response's.
      const parsed = whole(`${raw}HTTP/1.1 200 OK\r\n`);
      assert.equal(parsed.consumed, raw.length);
      assert.equal(parsed.parser.keepAlive, true);
    }
  });

  it("reports 100 Continue and 103 Early Hints before the final head", () => {
    const raw =
      "HTTP/1.1 100 Continue\r\n\r\n" +
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" +
      "HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok";
    everyWay(raw, (parsed, how) => {
      assert.deepEqual(
        parsed.heads.map(({ status, headers }) => ({ status, ...pick(headers, ["link", "content-length"]) })),
        [
          { status: 100, link: undefined, "content-length": undefined },
          { status: 103, link: "</style.css>; rel=preload", "content-length": undefined },
          { status: 201, link: undefined, "content-length": "2" },
        ],
        how,
      );
      assert.equal(parsed.body, "ok", how);
      assert.equal(parsed.completions, 1, how);
      assert.equal(parsed.consumed, raw.length, how);
    });
  });

  it("does not complete after a 1xx head alone", () => {
    const parsed = whole("HTTP/1.1 100 Continue\r\n\r\n");
    assert.equal(parsed.heads.length, 1);
    assert.equal(parsed.completions, 0);
    assert.equal(parsed.parser.complete, false);
    assert.throws(() => parsed.parser.end(), UpstreamProtocolError);
  });

  it("reads a body framed by the connection's end, completed by end()", () => {
    const raw = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nall of this until EOF";
    everyWay(raw, (parsed, how) => {
      assert.equal(parsed.completions, 0, how);
      assert.equal(parsed.parser.complete, false, how);
      assert.equal(parsed.parser.keepAlive, false, how);
      assert.equal(parsed.parser.end(), true, how);
      assert.equal(parsed.completions, 1, how);
      assert.equal(parsed.parser.complete, true, how);
      assert.equal(parsed.body, "all of this until EOF", how);
    });
  });

  it("treats a transfer coding other than chunked last as framed by the connection's end", () => {
    const parsed = whole("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\nabc");
    assert.equal(parsed.parser.keepAlive, false);
    assert.equal(parsed.parser.end(), true);
    assert.equal(parsed.body, "abc");
  });

  it("end() after a complete response returns false and does not complete again", () => {
    const parsed = whole("HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nx");
    assert.equal(parsed.parser.end(), false);
    assert.equal(parsed.completions, 1);
  });

  it("end() throws when the response was cut short", () => {
    const cut = [
      "", // nothing at all
      "HTTP/1.1 200 OK\r\ncontent-le", // mid-head
      "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc", // mid-body
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhel", // mid-chunk
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n", // before the last chunk
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\nx-trailer: 1\r\n", // mid-trailers
    ];
    for (const raw of cut) {
      const parsed = whole(raw);
      assert.throws(
        () => parsed.parser.end(),
        (error: unknown) => error instanceof UpstreamProtocolError && error.code === "UPSTREAM_PROTOCOL",
        JSON.stringify(raw),
      );
      assert.equal(parsed.completions, 0);
    }
  });
});

describe("ResponseParser: heads and connection reuse", () => {
  it("looks header names up by their lowercase name, trims values and joins repeated headers with \", \"", () => {
    const raw = "HTTP/1.1 200 OK\r\nX-Thing:  a \r\nSet-Cookie: one=1\r\nx-thing:b\r\nSET-COOKIE: two=2\r\nEmpty:\r\nRetry-After: 7\r\ncontent-length: 0\r\n\r\n";
    expectResponse(raw, 200, "", {
      "x-thing": "a, b",
      "set-cookie": "one=1, two=2",
      empty: "",
      "retry-after": "7",
      "content-length": "0",
      // A name that is a prefix or extension of a present one is not that header.
      "x-thin": undefined,
      "x-things": undefined,
      "http/1.1 200 ok": undefined,
    });
  });

  it("accepts a status line without a reason phrase", () => {
    expectResponse("HTTP/1.1 404\r\ncontent-length: 0\r\n\r\n", 404, "");
  });

  it("keeps an HTTP/1.1 connection alive unless the response says close", () => {
    assert.equal(whole("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").parser.keepAlive, true);
    for (const value of ["close", "Close", "keep-alive, close"]) {
      assert.equal(whole(`HTTP/1.1 200 OK\r\nconnection: ${value}\r\ncontent-length: 0\r\n\r\n`).parser.keepAlive, false, value);
    }
  });

  it("keeps an HTTP/1.0 connection alive only with connection: keep-alive", () => {
    assert.equal(whole("HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n").parser.keepAlive, false);
    assert.equal(whole("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\ncontent-length: 0\r\n\r\n").parser.keepAlive, true);
  });

  it("reads the Keep-Alive timeout hint", () => {
    const hint = (value: string | undefined) =>
      whole(`HTTP/1.1 200 OK\r\n${value === undefined ? "" : `keep-alive: ${value}\r\n`}content-length: 0\r\n\r\n`).parser.keepAliveHintSeconds;
    assert.equal(hint("timeout=5"), 5);
    assert.equal(hint("timeout=30, max=1000"), 30);
    assert.equal(hint("max=100, Timeout=7"), 7);
    assert.equal(hint("max=100"), undefined);
    assert.equal(hint(undefined), undefined);
  });

  it("does not reuse a connection whose response has both Transfer-Encoding and Content-Length", () => {
    const raw = "HTTP/1.1 200 OK\r\ncontent-length: 100\r\ntransfer-encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
    expectResponse(raw, 200, "hi");
    assert.equal(whole(raw).parser.keepAlive, false);
  });

  it("is not started before its first byte, and is after it", () => {
    const parsed = recorder();
    assert.equal(parsed.parser.started, false);
    parsed.parser.execute(Buffer.from("H"));
    assert.equal(parsed.parser.started, true);
  });
});

describe("ResponseParser: consumption and reuse", () => {
  const first = "HTTP/1.1 200 OK\r\ncontent-length: 5\r\nkeep-alive: timeout=9\r\nconnection: close\r\n\r\nfirst";
  const second = "HTTP/1.1 202 Accepted\r\ntransfer-encoding: chunked\r\n\r\n6\r\nsecond\r\n0\r\n\r\n";

  it("returns fewer bytes than given when more follow a complete response", () => {
    for (const raw of [first, "HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n"]) {
      const parsed = whole(raw + second);
      assert.equal(parsed.consumed, raw.length, raw);
      assert.equal(parsed.completions, 1, raw);
      assert.equal(parsed.heads.length, 1, raw);
    }
  });

  it("returns 0 after completion and does not complete again", () => {
    const parsed = whole(first);
    assert.equal(parsed.parser.execute(Buffer.from(second)), 0);
    assert.equal(parsed.parser.execute(Buffer.from("x")), 0);
    assert.equal(parsed.completions, 1);
    assert.equal(parsed.heads.length, 1);
    assert.equal(parsed.body, "first");
  });

  it("parses a second response after reset(), with the per-response state cleared", () => {
    const data = Buffer.from(first + second);
    const parsed = recorder();
    const used = parsed.parser.execute(data);
    assert.equal(used, first.length);
    assert.equal(parsed.parser.keepAlive, false);
    assert.equal(parsed.parser.keepAliveHintSeconds, 9);
    parsed.parser.reset();
    assert.equal(parsed.parser.complete, false);
    assert.equal(parsed.parser.started, false);
    assert.equal(parsed.parser.keepAlive, true);
    assert.equal(parsed.parser.keepAliveHintSeconds, undefined);
    assert.equal(parsed.parser.execute(data.subarray(used)), second.length);
    assert.deepEqual(
      parsed.heads.map((h) => h.status),
      [200, 202],
    );
    assert.equal(parsed.body, "firstsecond");
    assert.equal(parsed.completions, 2);
    assert.equal(parsed.parser.keepAlive, true);
  });

  it("reset(true) reads the response to a HEAD request as bodiless", () => {
    const parsed = recorder();
    parsed.parser.reset(true);
    const raw = "HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n";
    assert.equal(parsed.parser.execute(Buffer.from(raw)), raw.length);
    assert.equal(parsed.completions, 1);
  });
});

describe("ResponseParser: malformed responses", () => {
  const ok = (headers: string, body = "") => `HTTP/1.1 200 OK\r\n${headers}\r\n${body}`;

  it("rejects a bad status line", () => {
    for (const line of ["HTTP/2 200 OK", "HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "HTTP/1.1 OK", "http/1.1 200 OK", "HTTP/1.1  200 OK", "ICY 200 OK", "HTTP/1.2 200 OK"]) {
      rejectedEveryWay(`${line}\r\ncontent-length: 0\r\n\r\n`);
    }
  });

  it("rejects a header line without a colon or a name, and an obsolete line fold", () => {
    rejectedEveryWay(ok("content-length: 0\r\nno colon here\r\n"));
    rejectedEveryWay(ok("no colon here\r\ncontent-length: 0\r\n")); // a colon on a later line does not count
    rejectedEveryWay(ok(": empty name\r\ncontent-length: 0\r\n"));
    rejectedEveryWay(ok("content-length: 0\r\n folded: continuation\r\n"));
    rejectedEveryWay(ok("content-length: 0\r\n\tfolded: continuation\r\n"));
  });

  it("rejects an invalid Content-Length", () => {
    for (const value of ["abc", "-1", "1.5", "", "0x10", "+3", "1 2"]) rejectedEveryWay(ok(`content-length: ${value}\r\n`, "abc"));
  });

  it("rejects conflicting Content-Lengths and accepts repeated identical ones", () => {
    rejectedEveryWay(ok("content-length: 5\r\ncontent-length: 6\r\n", "hello!"));
    rejectedEveryWay(ok("content-length: 5, 6\r\n", "hello!"));
    expectResponse(ok("content-length: 5\r\nContent-Length: 5\r\n", "hello"), 200, "hello");
  });

  it("rejects a bad chunk size", () => {
    const chunked = (body: string) => ok("transfer-encoding: chunked\r\n", body);
    for (const size of ["zz", "-1", "", "0x5", "1234567890abc", "5 5"]) rejectedEveryWay(chunked(`${size}\r\nhello\r\n0\r\n\r\n`));
    rejectedEveryWay(chunked("5\nhello\r\n0\r\n\r\n")); // bare LF
    rejectedEveryWay(chunked(`${"1".repeat(5000)}`)); // an endless size line
  });

  it("rejects data past a chunk's size", () => {
    const chunked = (body: string) => ok("transfer-encoding: chunked\r\n", body);
    rejectedEveryWay(chunked("5\r\nhelloX\r\n0\r\n\r\n"));
    rejectedEveryWay(chunked("5\r\nhello world\r\n0\r\n\r\n"));
    rejectedEveryWay(chunked("5\r\nhello\n0\r\n\r\n"));
  });

  it("rejects a head over MAX_HEAD_BYTES, with or without its end", () => {
    const big = `x-big: ${"a".repeat(MAX_HEAD_BYTES)}\r\n`;
    const data = Buffer.from(ok(big + "content-length: 0\r\n"));
    assert.throws(() => whole(data), UpstreamProtocolError);
    assert.throws(() => feed([data.subarray(0, 100), data.subarray(100)]), UpstreamProtocolError);
    assert.throws(() => feed([data.subarray(0, 8000), data.subarray(8000, 16000), data.subarray(16000)]), UpstreamProtocolError);
    // No terminator yet: refused as soon as the pending bytes pass the limit.
    const endless = Buffer.from(`HTTP/1.1 200 OK\r\n${big}`);
    assert.throws(() => whole(endless), UpstreamProtocolError);
    assert.throws(() => feed([endless.subarray(0, 10), endless.subarray(10)]), UpstreamProtocolError);
  });

  it("accepts a head just under MAX_HEAD_BYTES", () => {
    const prefix = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nx-big: ";
    const raw = `${prefix}${"a".repeat(MAX_HEAD_BYTES - prefix.length - 10)}\r\n\r\n`;
    const parsed = feed([Buffer.from(raw.slice(0, 9000)), Buffer.from(raw.slice(9000))]);
    assert.equal(parsed.completions, 1);
    assert.equal(whole(raw).completions, 1);
  });

  it("refuses 101 Switching Protocols", () => {
    rejectedEveryWay("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n");
  });

  it("rejects a chunked body whose line ends without CR", () => {
    rejectedEveryWay(ok("transfer-encoding: chunked\r\n", "2\r\nhi\r\n0\r\n\n"));
  });

  it("rejects trailers over the limit however they are split", () => {
    const trailers = "x-t: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(400); // ~24 KiB, over the 16 KiB limit
    const raw = ok("transfer-encoding: chunked\r\n", `0\r\n${trailers}\r\n`);
    assert.throws(() => whole(raw), UpstreamProtocolError);
    assert.throws(() => bytewise(raw), UpstreamProtocolError);
  });
});
