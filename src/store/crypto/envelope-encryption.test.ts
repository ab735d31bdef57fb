// Round trips, binding to account and context, and tamper detection, against real key files
// and a real key store in a temporary directory.
import assert from "node:assert/strict";
import { randomBytes, createSecretKey } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, describe, it } from "node:test";
import { BasaltError } from "../../spec/errors.ts";
import { encodeHeader, parseHeader, SegmentCipher, TAG_BYTES } from "./ciphertext-format.ts";
import type { EnvelopeEncryption } from "./envelope-encryption.ts";
import { openEncryption } from "./open-encryption.ts";

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function setup(options: { segmentBytes?: number } = {}): Promise<{ enc: EnvelopeEncryption; dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), "basalt-crypto-"));
  dirs.push(dataDir);
  return { enc: await openEncryption({ dataDir, ...options }), dataDir };
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Yields `data` in random-sized chunks, as a socket or file would. */
async function* chunked(data: Buffer, max = 100_000): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; ) {
    const size = 1 + Math.floor(Math.random() * max);
    yield data.subarray(at, at + size);
    at += size;
  }
}

function isBasaltError(code?: string) {
  return (error: unknown) => error instanceof BasaltError && (code === undefined || error.code === code);
}

describe("EnvelopeEncryption round trips", () => {
  it("encrypts and decrypts buffers and strings of every size around segment boundaries", async () => {
    const { enc } = await setup({ segmentBytes: 64 });
    for (const size of [0, 1, 63, 64, 65, 127, 128, 129, 1000]) {
      const plain = randomBytes(size);
      const sealed = await enc.encrypt("111122223333", plain, "arn:doc/1");
      const segments = Math.max(1, Math.ceil(size / 64));
      assert.equal(sealed.length, parseHeader(sealed, true)!.bytes.length + size + segments * TAG_BYTES);
      if (size >= 8) assert.equal(sealed.indexOf(plain), -1);
      assert.deepEqual(await enc.decrypt("111122223333", sealed, "arn:doc/1"), plain, `size ${size}`);
    }
    assert.equal((await enc.decrypt("111122223333", await enc.encrypt("111122223333", "héllo", "c"), "c")).toString(), "héllo");
  });

  it("round-trips multi-MB content through streams, and streams and buffers interoperate", async () => {
    const { enc } = await setup();
    const plain = randomBytes(5 * 1024 * 1024 + 123);
    const sealed = await collect(await enc.encryptStream("acct", chunked(plain), "arn:blob"));
    assert.deepEqual(await collect(await enc.decryptStream("acct", chunked(sealed), "arn:blob")), plain);
    assert.deepEqual(await enc.decrypt("acct", sealed, "arn:blob"), plain);
    const viaBuffer = await enc.encrypt("acct", plain, "arn:blob");
    assert.deepEqual(await collect(await enc.decryptStream("acct", Readable.from([viaBuffer]), "arn:blob")), plain);
  });

  it("round-trips empty streams and one-byte chunks", async () => {
    const { enc } = await setup({ segmentBytes: 16 });
    const empty = await collect(await enc.encryptStream("acct", Readable.from([]), "ctx"));
    assert.equal((await collect(await enc.decryptStream("acct", Readable.from([empty]), "ctx"))).length, 0);
    const plain = randomBytes(100);
    const sealed = await collect(await enc.encryptStream("acct", chunked(plain, 1), "ctx"));
    assert.equal(sealed.length, (await enc.encrypt("acct", plain, "ctx")).length);
    assert.deepEqual(await collect(await enc.decryptStream("acct", chunked(sealed, 1), "ctx")), plain);
  });

  it("never produces the same ciphertext twice for the same plaintext", async () => {
    const { enc } = await setup();
    const a = await enc.encrypt("acct", "same", "ctx");
    const b = await enc.encrypt("acct", "same", "ctx");
    assert.notDeepEqual(a, b);
  });

  it("creates one data key when an account's first writes race", async () => {
    const { enc, dataDir } = await setup();
    const sealed = await Promise.all(Array.from({ length: 20 }, (_, i) => enc.encrypt("racer", `doc ${i}`, "ctx")));
    const texts = await Promise.all(sealed.map((s) => enc.decrypt("racer", s, "ctx")));
    assert.deepEqual(texts.map(String), Array.from({ length: 20 }, (_, i) => `doc ${i}`));
    assert.deepEqual(await readdir(join(dataDir, "keys", "racer")), ["1.json"]);
  });
});

describe("binding to account and context", () => {
  it("fails to decrypt under another context or another account", async () => {
    const { enc } = await setup();
    const sealed = await enc.encrypt("111111111111", "secret text", "arn:aws:bedrock:us-east-1:111111111111:knowledge-base/A");
    await assert.rejects(enc.decrypt("111111111111", sealed, "arn:aws:bedrock:us-east-1:111111111111:knowledge-base/B"), isBasaltError("INTERNAL"));
    // Another account without keys, then with its own keys: both fail, neither returns data.
    await assert.rejects(enc.decrypt("222222222222", sealed, "arn:aws:bedrock:us-east-1:111111111111:knowledge-base/A"), isBasaltError("KEY_UNAVAILABLE"));
    await enc.encrypt("222222222222", "own content", "x");
    await assert.rejects(enc.decrypt("222222222222", sealed, "arn:aws:bedrock:us-east-1:111111111111:knowledge-base/A"), isBasaltError("KEY_UNAVAILABLE"));
  });

  it("authenticates account and context even under one key, without ambiguity between them", () => {
    // The segment layer alone: same key and header, different binding → no plaintext.
    const key = createSecretKey(randomBytes(32));
    const header = { masterKeyId: "mk", dataKeyId: "0011223344556677", dataKeyVersion: 1, segmentBytes: 64, iv: randomBytes(12) };
    const bytes = encodeHeader(header);
    const seal = (accountId: string, context: string) => new SegmentCipher(key, header, bytes, { accountId, context });
    const sealed = seal("ab", "c").seal(0, true, Buffer.from("data"));
    assert.equal(seal("ab", "c").open(0, true, sealed).toString(), "data");
    for (const [accountId, context] of [["a", "bc"], ["ab", "c "], ["ba", "c"], ["ab", ""]] as const) {
      assert.throws(() => seal(accountId, context).open(0, true, sealed), isBasaltError("INTERNAL"));
    }
    assert.throws(() => seal("ab", "c").open(0, false, sealed), isBasaltError("INTERNAL"));
    assert.throws(() => seal("ab", "c").open(1, true, sealed), isBasaltError("INTERNAL"));
  });
});

describe("tamper detection", () => {
  it("rejects a single flipped bit anywhere in header, ciphertext or tag", async () => {
    const { enc } = await setup({ segmentBytes: 64 });
    const sealed = await enc.encrypt("acct", randomBytes(200), "ctx");
    for (let byte = 0; byte < sealed.length; byte++) {
      const altered = Buffer.from(sealed);
      altered[byte]! ^= 1 << byte % 8;
      await assert.rejects(enc.decrypt("acct", altered, "ctx"), isBasaltError(), `byte ${byte}`);
    }
  });

  it("rejects truncated, reordered, dropped and extended segments", async () => {
    const { enc } = await setup({ segmentBytes: 64 });
    const sealed = await enc.encrypt("acct", randomBytes(64 * 3 + 10), "ctx");
    const { bytes } = parseHeader(sealed, true)!;
    const seg = 64 + TAG_BYTES;
    const body = sealed.subarray(bytes.length);
    const s = [0, 1, 2, 3].map((i) => body.subarray(i * seg, (i + 1) * seg));
    const variants = {
      "last segment dropped": Buffer.concat([bytes, s[0]!, s[1]!, s[2]!]),
      "middle segment dropped": Buffer.concat([bytes, s[0]!, s[2]!, s[3]!]),
      "segments swapped": Buffer.concat([bytes, s[1]!, s[0]!, s[2]!, s[3]!]),
      "one byte cut": sealed.subarray(0, sealed.length - 1),
      "bytes appended": Buffer.concat([sealed, Buffer.from("x")]),
      "header only": bytes,
      empty: Buffer.alloc(0),
      "plaintext, not ours": Buffer.from("just some plaintext that was never encrypted"),
    };
    for (const [name, altered] of Object.entries(variants)) {
      await assert.rejects(enc.decrypt("acct", altered, "ctx"), isBasaltError(), name);
      const viaStream = async () => collect(await enc.decryptStream("acct", Readable.from([altered]), "ctx"));
      await assert.rejects(viaStream(), isBasaltError(), `${name} (stream)`);
    }
  });

  it("a stream yields only verified segments and then errors on the altered one", async () => {
    const { enc } = await setup({ segmentBytes: 64 });
    const plain = randomBytes(64 * 4);
    const sealed = await enc.encrypt("acct", plain, "ctx");
    sealed[sealed.length - 20]! ^= 0x80; // inside the last segment
    const got: Buffer[] = [];
    const stream = await enc.decryptStream("acct", chunked(sealed, 7), "ctx");
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) got.push(chunk as Buffer);
      })(),
      isBasaltError("INTERNAL"),
    );
    assert.deepEqual(Buffer.concat(got), plain.subarray(0, 64 * 3));
  });
});
