// One conformance suite every object store runs (STYLE.md §8): the same behaviour whether
// objects live in a local directory or an S3-compatible bucket. Call it from a store's test file.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { it } from "node:test";
import { BasaltError } from "../../src/spec/errors.ts";
import { compareKeys } from "../../src/store/objects/keys.ts";
import { ObjectNotFoundError, listAllObjects, readAll, type ObjectStore } from "../../src/store/objects/object-store.ts";

/** The cases, by the name a `skip` entry uses. */
export type ObjectStoreCase =
  | "binary"
  | "bodies"
  | "unicodeKeys"
  | "metadata"
  | "ranges"
  | "large"
  | "pagination"
  | "badToken"
  | "keyOrder"
  | "deleteAndNotFound"
  | "copy"
  | "invalidKeys"
  | "overwrite"
  | "concurrentWrites";

/** Options of {@link objectStoreConformance}. */
export interface ObjectStoreConformanceOptions {
  /** A fresh, empty store for each case; the suite closes it. */
  store: () => Promise<ObjectStore>;
  /** The store's multipart threshold, so the large cases cross it (any size works for stores without one). */
  multipartThresholdBytes: number;
  /** Cases that cannot hold for this implementation, each with the reason written down. */
  skip?: Partial<Record<ObjectStoreCase, string>>;
}

const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

async function expectNotFound(promise: Promise<unknown>, key: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ObjectNotFoundError, `expected ObjectNotFoundError, got ${String(error)}`);
    assert.equal(error.code, "NOT_FOUND");
    assert.equal(error.key, key);
    return true;
  });
}

async function expectValidation(promise: Promise<unknown>, status = 400): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof BasaltError && error.code === "VALIDATION", `expected a ValidationException, got ${String(error)}`);
    assert.equal(error.httpStatus, status);
    return true;
  });
}

/** Registers the conformance cases in the current describe block. */
export function objectStoreConformance(options: ObjectStoreConformanceOptions): void {
  const threshold = options.multipartThresholdBytes;
  const test = (name: ObjectStoreCase, title: string, body: (store: ObjectStore) => Promise<void>): void => {
    it(`conformance: ${title}`, { skip: options.skip?.[name] ?? false }, async () => {
      const store = await options.store();
      try {
        await body(store);
      } finally {
        await store.close();
      }
    });
  };

  test("binary", "binary data round-trips with size, etag and defaults", async (store) => {
    const data = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(10_000)]);
    const put = await store.put("bin/data.bin", data);
    assert.equal(put.size, data.length);
    assert.ok(put.etag.length > 0 && !put.etag.includes('"'), "an etag is present and unquoted");
    assert.ok((await store.getBytes("bin/data.bin")).equals(data));
    const head = await store.head("bin/data.bin");
    assert.deepEqual({ ...head, lastModified: undefined }, { key: "bin/data.bin", size: data.length, etag: put.etag, contentType: "application/octet-stream", metadata: {}, lastModified: undefined });
    assert.ok(Math.abs(head.lastModified.getTime() - Date.now()) < 60_000, "lastModified is about now");
    const read = await store.get("bin/data.bin");
    assert.equal(read.info.etag, put.etag);
    assert.equal(read.range, undefined);
    assert.ok((await readAll(read.body)).equals(data));
    // A view into a larger buffer: only its own bytes are stored.
    const view = new Uint8Array(data.buffer, data.byteOffset + 100, 50);
    await store.put("bin/view", view);
    assert.ok((await store.getBytes("bin/view")).equals(data.subarray(100, 150)));
  });

  test("bodies", "strings, streams, async iterables and empty bodies are stored", async (store) => {
    await store.put("b/string.txt", "héllo ✓");
    assert.equal((await store.getBytes("b/string.txt")).toString("utf8"), "héllo ✓");
    await store.put("b/stream", Readable.from([Buffer.from("ab"), Buffer.from("cd")]));
    assert.equal((await store.getBytes("b/stream")).toString(), "abcd");
    async function* generate(): AsyncGenerator<Uint8Array | string> {
      yield "x";
      yield new Uint8Array([0x79]);
      yield Buffer.alloc(0);
      yield "z";
    }
    assert.equal((await store.put("b/generator", generate())).size, 3);
    assert.equal((await store.getBytes("b/generator")).toString(), "xyz");
    const empty = await store.put("b/empty", Buffer.alloc(0));
    assert.equal(empty.size, 0);
    assert.equal((await store.head("b/empty")).size, 0);
    assert.equal((await store.getBytes("b/empty")).length, 0);
  });

  test("unicodeKeys", "unicode and unusual keys round-trip, list and stay distinct by case", async (store) => {
    const keys = [
      "docs/résumé 2024.pdf",
      "日本語/ファイル名.txt",
      "emoji/😀🚀.bin",
      "Case/Key.txt",
      "case/key.txt",
      "symbols/(a) [b] & c=d+e!~'*,;@$.txt",
      "symbols/question?hash#.txt",
      "%2e%2e/literal-percent%2F",
      "dots/.hidden..name.",
      "long/" + "é".repeat(90) + "/" + "x".repeat(180),
    ];
    for (const key of keys) await store.put(key, key);
    for (const key of keys) {
      assert.equal((await store.getBytes(key)).toString("utf8"), key, key);
      assert.equal((await store.head(key)).key, key);
    }
    const listed = [];
    for await (const object of listAllObjects(store)) listed.push(object.key);
    assert.deepEqual(listed, [...keys].sort(compareKeys));
  });

  test("metadata", "content type and user metadata round-trip and are replaced, not merged", async (store) => {
    const metadata = { author: "Zoë Ångström", "source-id": "42", padded: "  spaced  ", looks_encoded: "=?UTF-8?B?aGk=?=", empty: "" };
    await store.put("m/doc.pdf", "%PDF", { contentType: "application/pdf", metadata });
    const head = await store.head("m/doc.pdf");
    assert.equal(head.contentType, "application/pdf");
    assert.deepEqual(head.metadata, metadata);
    const read = await store.get("m/doc.pdf");
    read.body.destroy();
    assert.deepEqual(read.info.metadata, metadata);
    assert.equal(read.info.contentType, "application/pdf");
    await store.put("m/doc.pdf", "%PDF-2", { metadata: { version: "2" } });
    const replaced = await store.head("m/doc.pdf");
    assert.deepEqual(replaced.metadata, { version: "2" });
    assert.equal(replaced.contentType, "application/octet-stream");
    await expectValidation(store.put("m/bad", "x", { metadata: { Upper: "x" } }));
    await expectValidation(store.put("m/bad", "x", { metadata: { line: "a\nb" } }));
    await expectValidation(store.put("m/bad", "x", { metadata: { big: "x".repeat(2048) } }));
    await expectValidation(store.put("m/bad", "x", { contentType: "text/plain\r\nx-injected: 1" }));
    await expectNotFound(store.head("m/bad"), "m/bad");
  });

  test("ranges", "range reads return the bytes asked for, clamped, and refuse a start past the end", async (store) => {
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    await store.put("r/data", data);
    assert.ok((await store.getBytes("r/data", { range: { start: 10, end: 19 } })).equals(data.subarray(10, 20)));
    assert.ok((await store.getBytes("r/data", { range: { start: 990 } })).equals(data.subarray(990)));
    assert.ok((await store.getBytes("r/data", { range: { start: 999, end: 999 } })).equals(data.subarray(999)));
    const clamped = await store.get("r/data", { range: { start: 995, end: 5000 } });
    assert.deepEqual(clamped.range, { start: 995, end: 999 });
    assert.equal(clamped.info.size, 1000, "info describes the whole object");
    assert.ok((await readAll(clamped.body)).equals(data.subarray(995)));
    await expectValidation(store.getBytes("r/data", { range: { start: 1000 } }), 416);
    await expectValidation(store.getBytes("r/data", { range: { start: 5, end: 2 } }));
    await expectValidation(store.getBytes("r/data", { range: { start: -1 } }));
    await expectNotFound(store.getBytes("r/missing", { range: { start: 0, end: 9 } }), "r/missing");
  });

  test("large", "objects at, below and well past the multipart threshold round-trip", async (store) => {
    for (const size of [threshold - 1, threshold, threshold * 3 + 123]) {
      const data = randomBytes(size);
      const put = await store.put(`large/${size}`, data);
      assert.equal(put.size, size);
      assert.equal((await store.head(`large/${size}`)).size, size);
      assert.equal(sha256(await store.getBytes(`large/${size}`)), sha256(data), `content of ${size} bytes`);
    }
    // A stream of unknown length in uneven chunks, read back as a stream and across a part boundary.
    const data = randomBytes(threshold * 2 + 1);
    const chunks = Array.from({ length: Math.ceil(data.length / 7777) }, (_, i) => data.subarray(i * 7777, (i + 1) * 7777));
    assert.equal((await store.put("large/stream", Readable.from(chunks))).size, data.length);
    const read = await store.get("large/stream");
    assert.equal(read.info.size, data.length);
    assert.equal(sha256(await readAll(read.body)), sha256(data));
    const across = await store.getBytes("large/stream", { range: { start: threshold - 10, end: threshold + 10 } });
    assert.ok(across.equals(data.subarray(threshold - 10, threshold + 11)));
  });

  test("pagination", "listing pages through a prefix with continuation tokens", async (store) => {
    const items = Array.from({ length: 12 }, (_, i) => `list/item-${String(i).padStart(2, "0")}`);
    await Promise.all(items.map((key, i) => store.put(key, Buffer.alloc(i + 1, i))));
    await store.put("listing.txt", "not in list/");
    await store.put("other/x", "elsewhere");
    const pages = [];
    let continuationToken: string | undefined;
    do {
      const page = await store.list({ prefix: "list/", maxKeys: 5, continuationToken });
      pages.push(page.objects.map((o) => o.key));
      continuationToken = page.continuationToken;
    } while (continuationToken !== undefined);
    assert.deepEqual(pages.map((p) => p.length), [5, 5, 2]);
    assert.deepEqual(pages.flat(), items);
    const first = (await store.list({ prefix: "list/item-03", maxKeys: 1 })).objects[0]!;
    const head = await store.head("list/item-03");
    assert.deepEqual(first, { key: "list/item-03", size: 4, etag: head.etag, lastModified: first.lastModified });
    assert.ok(Math.abs(first.lastModified.getTime() - head.lastModified.getTime()) < 2000);
    assert.deepEqual((await store.list({ prefix: "list/item-1" })).objects.map((o) => o.key), ["list/item-10", "list/item-11"]);
    assert.equal((await store.list({ prefix: "list" })).objects.length, 13, "a prefix need not end at a /");
    assert.deepEqual(await store.list({ prefix: "nothing/" }), { objects: [] });
    assert.equal((await store.list()).objects.length, 14);
    await expectValidation(store.list({ maxKeys: 0 }));
    await expectValidation(store.list({ maxKeys: 1001 }));
  });

  test("badToken", "a continuation token the store did not issue is refused", async (store) => {
    await store.put("t/a", "a");
    await expectValidation(store.list({ continuationToken: "not-a-token" }));
  });

  test("keyOrder", "listing follows UTF-8 byte order across folders, page by page", async (store) => {
    const keys = ["o/a.txt", "o/a/b", "o/a-c", "o/a0", "o/B", "o/é", "o/z", "o/\u{1F600}", "o/\uFF21", "o/a/b/c"];
    for (const key of keys) await store.put(key, key);
    const listed = [];
    let continuationToken: string | undefined;
    do {
      const page = await store.list({ prefix: "o/", maxKeys: 2, continuationToken });
      listed.push(...page.objects.map((o) => o.key));
      continuationToken = page.continuationToken;
    } while (continuationToken !== undefined);
    assert.deepEqual(listed, [...keys].sort(compareKeys));
  });

  test("deleteAndNotFound", "a missing object is a typed not-found error; delete is idempotent", async (store) => {
    await expectNotFound(store.get("d/missing"), "d/missing");
    await expectNotFound(store.getBytes("d/missing"), "d/missing");
    await expectNotFound(store.head("d/missing"), "d/missing");
    await store.put("d/a", "a");
    await store.put("d/b", "b");
    await store.delete("d/a");
    await expectNotFound(store.head("d/a"), "d/a");
    await expectNotFound(store.getBytes("d/a"), "d/a");
    await store.delete("d/a");
    await store.delete("never/existed");
    assert.deepEqual((await store.list({ prefix: "d/" })).objects.map((o) => o.key), ["d/b"]);
    await store.delete("d/b");
    assert.deepEqual(await store.list({ prefix: "d/" }), { objects: [] });
    await store.put("d/again", "again");
    assert.equal((await store.getBytes("d/again")).toString(), "again");
  });

  test("copy", "copy keeps bytes, content type and metadata; a missing source is not found", async (store) => {
    await store.put("c/source.txt", "copy me", { contentType: "text/plain", metadata: { origin: "Zoë" } });
    await store.put("c/Résumé final.txt", "old destination");
    const copied = await store.copy("c/source.txt", "c/Résumé final.txt");
    const head = await store.head("c/Résumé final.txt");
    assert.equal(copied.etag, head.etag);
    assert.equal(head.contentType, "text/plain");
    assert.deepEqual(head.metadata, { origin: "Zoë" });
    assert.equal((await store.getBytes("c/Résumé final.txt")).toString(), "copy me");
    assert.equal((await store.getBytes("c/source.txt")).toString(), "copy me", "the source stays");
    assert.equal((await store.copy("c/source.txt", "c/source.txt")).etag, (await store.head("c/source.txt")).etag);
    await expectNotFound(store.copy("c/missing", "c/elsewhere"), "c/missing");
    await expectNotFound(store.head("c/elsewhere"), "c/elsewhere");
  });

  test("invalidKeys", "keys that could escape a directory or break S3 are refused", async (store) => {
    const bad = ["", "/etc/passwd", "../x", "a/../../b", "a/./b", "..", "a//b", "trailing/", "back\\..\\slash", "nul\u0000", "tab\tkey", "a".repeat(1025), "\uD800lone"];
    for (const key of bad) {
      await expectValidation(store.put(key, "x"));
      await expectValidation(store.getBytes(key));
      await expectValidation(store.head(key));
      await expectValidation(store.delete(key));
      await expectValidation(store.copy("fine", key));
    }
    assert.deepEqual(await store.list(), { objects: [] }, "nothing was written");
  });

  test("overwrite", "a put replaces the object and its etag", async (store) => {
    const first = await store.put("w/doc", "first version");
    const second = await store.put("w/doc", "the second, longer version");
    assert.notEqual(first.etag, second.etag);
    assert.equal((await store.getBytes("w/doc")).toString(), "the second, longer version");
    assert.equal((await store.head("w/doc")).size, 26);
    assert.equal((await store.list({ prefix: "w/" })).objects.length, 1);
  });

  test("concurrentWrites", "concurrent writes of one key leave one complete object", async (store) => {
    for (const size of [1000, threshold + 1000]) {
      const bodies = Array.from({ length: 6 }, (_, i) => Buffer.alloc(size, 0x41 + i));
      const results = await Promise.all(bodies.map((body) => store.put("cw/doc", Readable.from([body.subarray(0, 500), body.subarray(500)]))));
      const stored = await store.getBytes("cw/doc");
      assert.equal(stored.length, size);
      assert.ok(bodies.some((body) => body.equals(stored)), "the stored bytes are exactly one writer's");
      const head = await store.head("cw/doc");
      assert.equal(head.size, size);
      assert.ok(results.some((r) => r.etag === head.etag), "the etag is the winning writer's");
    }
    assert.equal((await store.list({ prefix: "cw/" })).objects.length, 1);
  });
}
