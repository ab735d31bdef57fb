// An ObjectStore that keeps every object as envelope ciphertext (src/store/crypto/) in any
// other ObjectStore: a local directory or an S3-compatible bucket. Content is sealed per account
// while it streams, bound to the object's key, so an object copied or moved behind the store's
// back no longer opens. Content type and user metadata stay readable in the clear (they must not
// hold content); the encryption layout is recorded in the metadata, so `head` and `list` report
// the plaintext size and a range read fetches only the segments that cover it.
// docs/decisions/0011-encryption-at-rest.md explains the choices.
import { Readable } from "node:stream";
import { BasaltError, validation } from "../../spec/errors.ts";
import { MAX_HEADER_BYTES } from "../crypto/ciphertext-format.ts";
import { integrityFailure } from "../crypto/crypto-errors.ts";
import type { EnvelopeEncryption, SealedLayout } from "../crypto/envelope-encryption.ts";
import { openSpan, plaintextSize, segmentSpan } from "../crypto/segment-layout.ts";
import { validateObjectKey, validatePutOptions, validateRange } from "./keys.ts";
import {
  bodyChunks,
  isObjectNotFound,
  rangeNotSatisfiable,
  readAll,
  type ByteRange,
  type CopyObjectResult,
  type GetObjectOptions,
  type ListObjectsOptions,
  type ListObjectsPage,
  type ObjectBody,
  type ObjectInfo,
  type ObjectReadStream,
  type ObjectStore,
  type ObjectSummary,
  type PutObjectOptions,
  type PutObjectResult,
} from "./object-store.ts";

/** The user-metadata key under which each object's encryption layout is recorded; callers may not use it. */
export const LAYOUT_METADATA_KEY = "basalt-sealed";

/** Options of {@link EncryptedObjectStore}; give exactly one of `accountId` and `accountOf`. */
export interface EncryptedObjectStoreOptions {
  /** Where the ciphertext goes; closed with this store. */
  store: ObjectStore;
  encryption: EnvelopeEncryption;
  /** The account whose data key seals every object of this store. */
  accountId?: string;
  /** The account of each key, for a store shared by accounts (e.g. keys that start with the account id). */
  accountOf?: (key: string) => string;
  /** What the store holds (e.g. "knowledge-base-documents"), bound into every object's encryption context; "objects" by default. */
  purpose?: string;
  /** HEAD requests at once while listing (sizes are in each object's metadata); 8 by default. */
  listConcurrency?: number;
}

/** Envelope-encrypted objects over any {@link ObjectStore}. */
export class EncryptedObjectStore implements ObjectStore {
  private readonly store: ObjectStore;
  private readonly encryption: EnvelopeEncryption;
  private readonly accountOf: (key: string) => string;
  private readonly purpose: string;
  private readonly listConcurrency: number;

  constructor(options: EncryptedObjectStoreOptions) {
    if ((options.accountId === undefined) === (options.accountOf === undefined)) {
      throw new TypeError("An EncryptedObjectStore needs exactly one of accountId and accountOf.");
    }
    const accountId = options.accountId;
    this.store = options.store;
    this.encryption = options.encryption;
    this.accountOf = options.accountOf ?? (() => accountId!);
    this.purpose = options.purpose ?? "objects";
    this.listConcurrency = options.listConcurrency ?? 8;
  }

  async put(key: string, body: ObjectBody, options?: PutObjectOptions): Promise<PutObjectResult> {
    validateObjectKey(key);
    const { contentType, metadata } = validatePutOptions(options);
    if (LAYOUT_METADATA_KEY in metadata) throw validation(`metadata.${LAYOUT_METADATA_KEY}`, "this key is reserved for the encryption layout");
    let size = 0;
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const chunk of bodyChunks(body)) {
        size += chunk.length;
        yield chunk;
      }
    }
    const sealed = await this.encryption.encryptStreamWithLayout(this.accountOf(key), counted(), this.context(key));
    try {
      const put = await this.store.put(key, sealed.body, { contentType, metadata: { ...metadata, [LAYOUT_METADATA_KEY]: encodeLayout(sealed.layout) } });
      return { etag: put.etag, size };
    } finally {
      sealed.body.destroy();
    }
  }

  async get(key: string, options: GetObjectOptions = {}): Promise<ObjectReadStream> {
    validateObjectKey(key);
    if (options.range) return this.getRange(key, validateRange(options.range));
    const read = await this.store.get(key);
    try {
      const { info } = describe(read.info);
      const plain = await this.encryption.decryptStream(this.accountOf(key), read.body, this.context(key));
      return { info, body: releasing(Readable.from(exactly(plain, info.size), { objectMode: false }), plain, read.body) };
    } catch (error) {
      read.body.destroy();
      throw error;
    }
  }

  async getBytes(key: string, options?: GetObjectOptions): Promise<Buffer> {
    return readAll((await this.get(key, options)).body);
  }

  async head(key: string): Promise<ObjectInfo> {
    validateObjectKey(key);
    return describe(await this.store.head(key)).info;
  }

  async delete(key: string): Promise<void> {
    await this.store.delete(key);
  }

  /** Lists as the inner store does; each object's plaintext size comes from a HEAD of it (docs/decisions/0011). */
  async list(options?: ListObjectsOptions): Promise<ListObjectsPage> {
    const page = await this.store.list(options);
    const objects: Array<ObjectSummary | undefined> = new Array(page.objects.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < page.objects.length) {
        const at = next++;
        try {
          const { key, size, etag, lastModified } = await this.head(page.objects[at]!.key);
          objects[at] = { key, size, etag, lastModified };
        } catch (error) {
          // Deleted since the inner store listed it: as if listed a moment later.
          if (!isObjectNotFound(error)) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.listConcurrency, page.objects.length) }, worker));
    const listed = objects.filter((o): o is ObjectSummary => o !== undefined);
    return page.continuationToken === undefined ? { objects: listed } : { objects: listed, continuationToken: page.continuationToken };
  }

  /** Copies by re-encrypting, since each object is bound to its key (and maybe another account). */
  async copy(sourceKey: string, destinationKey: string): Promise<CopyObjectResult> {
    validateObjectKey(sourceKey, "sourceKey");
    validateObjectKey(destinationKey, "destinationKey");
    if (sourceKey === destinationKey) return this.store.copy(sourceKey, destinationKey);
    const read = await this.get(sourceKey);
    try {
      const { etag } = await this.put(destinationKey, read.body, { contentType: read.info.contentType, metadata: read.info.metadata });
      return { etag };
    } finally {
      read.body.destroy();
    }
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  /** The encryption context of an object: what the store holds and the object's key. */
  private context(key: string): string {
    return JSON.stringify({ purpose: this.purpose, key });
  }

  /** A range read: the header first (it names the key), then only the sealed segments that hold the range. */
  private async getRange(key: string, range: ByteRange): Promise<ObjectReadStream> {
    const accountId = this.accountOf(key);
    for (let attempt = 1; ; attempt++) {
      const head = await this.store.get(key, { range: { start: 0, end: MAX_HEADER_BYTES - 1 } });
      const headBytes = await readAll(head.body);
      const { info, layout } = describe(head.info);
      if (range.start >= info.size) throw rangeNotSatisfiable(key, info.size);
      const end = Math.min(range.end ?? info.size - 1, info.size - 1);
      const reader = await this.encryption.openSegments(accountId, headBytes, this.context(key));
      if (reader.headerBytes !== layout.headerBytes || reader.segmentBytes !== layout.segmentBytes) {
        throw integrityFailure("its recorded encryption layout does not match its header.");
      }
      const span = segmentSpan(layout, info.size, { start: range.start, end });
      const part = await this.store.get(key, { range: { start: span.sealedStart, end: span.sealedEnd } });
      if (part.info.etag !== head.info.etag) {
        // Replaced between the two reads: the header and the segments belong to different writes.
        part.body.destroy();
        if (attempt < 3) continue;
        throw new BasaltError("SERVICE_UNAVAILABLE", `The object ${JSON.stringify(key)} kept changing while it was read; try again.`);
      }
      const body = releasing(Readable.from(openSpan({ reader, span, plaintextBytes: info.size, source: part.body }), { objectMode: false }), part.body);
      return { info, body, range: { start: range.start, end } };
    }
  }
}

/** The layout as a metadata value: format, header bytes, segment bytes. */
function encodeLayout(layout: SealedLayout): string {
  return `1:${layout.headerBytes}:${layout.segmentBytes}`;
}

/** The plaintext view of a stored object's description, and its layout; an object without one was not written here. */
function describe(stored: ObjectInfo): { info: ObjectInfo; layout: SealedLayout } {
  const { [LAYOUT_METADATA_KEY]: recorded, ...metadata } = stored.metadata;
  const match = /^1:(\d{1,5}):(\d{1,9})$/.exec(recorded ?? "");
  if (!match) throw integrityFailure("it is not in Basalt's encrypted format (no encryption layout is recorded).");
  const layout = { headerBytes: Number(match[1]), segmentBytes: Number(match[2]) };
  return { info: { ...stored, size: plaintextSize(layout, stored.size), metadata }, layout };
}

/**
 * Destroys the streams under `body` when it closes. A generator-backed stream destroyed before
 * its first read never runs, so it would never release the stored object's file or socket.
 */
function releasing(body: Readable, ...under: Readable[]): Readable {
  body.once("close", () => under.forEach((stream) => stream.destroy()));
  return body;
}

/** Passes a decrypted stream on, failing it if its length is not the size the layout promised. */
async function* exactly(source: Readable, size: number): AsyncGenerator<Buffer> {
  let seen = 0;
  for await (const chunk of source) {
    seen += (chunk as Buffer).length;
    yield chunk as Buffer;
  }
  if (seen !== size) throw integrityFailure("its length does not match its recorded encryption layout.");
}
