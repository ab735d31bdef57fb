// Envelope encryption of customer content: each account has AES-256-GCM data keys (versioned),
// stored only wrapped under a master key; content is encrypted under the account's newest data
// key and bound to the account and a caller-given context such as the resource ARN.
import { createSecretKey, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { BasaltError } from "../../spec/errors.ts";
import {
  DATA_KEY_ID_BYTES,
  DEFAULT_SEGMENT_BYTES,
  encodeHeader,
  IV_BYTES,
  openBuffer,
  parseHeader,
  sealBuffer,
  SEGMENT_BYTES_RANGE,
  SegmentCipher,
  type CiphertextHeader,
} from "./ciphertext-format.ts";
import { keyUnavailable, requireEnabled } from "./crypto-errors.ts";
import { DataKeyCache, type CachedDataKey } from "./data-key-cache.ts";
import type { KeyProvider, WrapContext } from "./key-provider.ts";
import { openStream, readStreamHeader, sealStream, type StreamChunk } from "./stream-cipher.ts";
import type { WrappedDataKey, WrappedKeyStore } from "./wrapped-key-store.ts";

const DATA_KEY_BYTES = 32;

/** Options of an {@link EnvelopeEncryption}. */
export interface EnvelopeEncryptionOptions {
  keys: KeyProvider;
  store: WrappedKeyStore;
  /** How long an unwrapped data key stays in memory; 60 s by default, 0 disables the cache. */
  cacheTtlMs?: number;
  /** At most this many unwrapped data keys in memory; 1000 by default. */
  cacheMaxEntries?: number;
  /** Plaintext bytes per authenticated segment; 64 KiB by default. */
  segmentBytes?: number;
}

/** Where the parts of sealed content lie: a header of `headerBytes`, then segments of `segmentBytes` plaintext each. */
export interface SealedLayout {
  headerBytes: number;
  segmentBytes: number;
}

/** Random access to one piece of sealed content: its layout, and any segment opened by index. */
export interface SegmentReader extends SealedLayout {
  /** Decrypts and verifies segment `index` (`sealed` is its ciphertext and tag); throws INTERNAL if it does not authenticate. */
  open(index: number, last: boolean, sealed: Buffer): Buffer;
}

/** The outcome of re-wrapping every data key under the primary master key. */
export interface RewrapReport {
  rewrapped: number;
  /** Keys that could not be re-wrapped (e.g. their master key is disabled); they stay as they were. */
  failed: { accountId: string; version: number; reason: string }[];
}

/** Encrypts and decrypts an account's content; the one entry point repositories use. */
export class EnvelopeEncryption {
  private readonly keys: KeyProvider;
  private readonly store: WrappedKeyStore;
  private readonly cache: DataKeyCache;
  private readonly segmentBytes: number;
  private readonly unwatch: (() => void) | undefined;

  constructor(options: EnvelopeEncryptionOptions) {
    this.keys = options.keys;
    this.store = options.store;
    this.cache = new DataKeyCache({ ttlMs: options.cacheTtlMs ?? 60_000, maxEntries: options.cacheMaxEntries ?? 1000 });
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!Number.isInteger(this.segmentBytes) || this.segmentBytes < SEGMENT_BYTES_RANGE.min || this.segmentBytes > SEGMENT_BYTES_RANGE.max) {
      throw new RangeError(`segmentBytes must be an integer from ${SEGMENT_BYTES_RANGE.min} to ${SEGMENT_BYTES_RANGE.max}.`);
    }
    // A key that stops being ENABLED takes its unwrapped data keys out of memory at once.
    this.unwatch = this.keys.watch?.((keyId, state) => {
      if (state !== "ENABLED") this.cache.forgetMasterKey(keyId);
    });
  }

  /** Encrypts `plaintext` for the account, bound to `context` (e.g. the resource ARN). */
  async encrypt(accountId: string, plaintext: Uint8Array | string, context: string): Promise<Buffer> {
    const { cipher, headerBytes } = await this.sealer(accountId, context);
    const bytes = typeof plaintext === "string" ? Buffer.from(plaintext, "utf8") : Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
    return sealBuffer(cipher, headerBytes, bytes, this.segmentBytes);
  }

  /** Decrypts what {@link encrypt} or {@link encryptStream} produced for the same account and context. */
  async decrypt(accountId: string, ciphertext: Uint8Array, context: string): Promise<Buffer> {
    const bytes = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength);
    const parsed = parseHeader(bytes, true)!;
    const key = await this.keyFor(accountId, parsed.header);
    const cipher = new SegmentCipher(key.key, parsed.header, parsed.bytes, { accountId, context });
    return openBuffer(cipher, bytes.subarray(parsed.bytes.length), parsed.header.segmentBytes);
  }

  /**
   * Throws KEY_UNAVAILABLE unless the keys that `ciphertext` needs can be used right now (its
   * data key, and the master key wrapping it), without decrypting anything. For a store that
   * keeps content it already decrypted (an open index's key) and must still fail closed.
   */
  async assertReadable(accountId: string, ciphertext: Uint8Array): Promise<void> {
    const bytes = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength);
    await this.keyFor(accountId, parseHeader(bytes, true)!.header);
  }

  /** Encrypts a stream; key problems reject here, before the first byte. */
  async encryptStream(accountId: string, source: AsyncIterable<StreamChunk>, context: string): Promise<Readable> {
    const { cipher, headerBytes } = await this.sealer(accountId, context);
    return Readable.from(sealStream({ cipher, headerBytes, source, segmentBytes: this.segmentBytes }), { objectMode: false });
  }

  /**
   * Like {@link encryptStream}, and also tells the layout of what it writes, so that a store can
   * record it beside the content (object metadata) and later compute sizes and seek to segments.
   */
  async encryptStreamWithLayout(accountId: string, source: AsyncIterable<StreamChunk>, context: string): Promise<{ body: Readable; layout: SealedLayout }> {
    const { cipher, headerBytes } = await this.sealer(accountId, context);
    const body = Readable.from(sealStream({ cipher, headerBytes, source, segmentBytes: this.segmentBytes }), { objectMode: false });
    return { body, layout: { headerBytes: headerBytes.length, segmentBytes: this.segmentBytes } };
  }

  /**
   * Opens sealed content for random access: `head` is its first bytes (at least the header;
   * MAX_HEADER_BYTES always suffice). Key problems reject here, as for {@link decrypt}.
   */
  async openSegments(accountId: string, head: Uint8Array, context: string): Promise<SegmentReader> {
    const parsed = parseHeader(Buffer.from(head.buffer, head.byteOffset, head.byteLength), true)!;
    const key = await this.keyFor(accountId, parsed.header);
    const cipher = new SegmentCipher(key.key, parsed.header, parsed.bytes, { accountId, context });
    return {
      headerBytes: parsed.bytes.length,
      segmentBytes: parsed.header.segmentBytes,
      open: (index, last, sealed) => cipher.open(index, last, sealed),
    };
  }

  /**
   * Decrypts a stream; a bad header or an unusable key rejects here, before the first byte. The
   * stream only yields verified segments, and errors if a later segment fails to verify.
   */
  async decryptStream(accountId: string, source: AsyncIterable<StreamChunk>, context: string): Promise<Readable> {
    const iterator = source[Symbol.asyncIterator]();
    try {
      const { header, headerBytes, rest } = await readStreamHeader(iterator);
      const key = await this.keyFor(accountId, header);
      const cipher = new SegmentCipher(key.key, header, headerBytes, { accountId, context });
      const plain = Readable.from(openStream({ cipher, rest, source: iterator, segmentBytes: header.segmentBytes }), { objectMode: false });
      // Destroyed before its first read, the generator never starts and so never releases the
      // source (a file handle, a socket): release it here. Returning a finished source is a no-op.
      plain.once("close", () => void iterator.return?.()?.catch(() => undefined));
      return plain;
    } catch (error) {
      await iterator.return?.();
      throw error;
    }
  }

  /** Gives the account a new data key version for new writes; older versions keep decrypting. */
  async rotateDataKey(accountId: string): Promise<number> {
    const newest = await this.store.get(accountId);
    const created = await this.createDataKey(accountId, (newest?.version ?? 0) + 1);
    if (!created) throw new BasaltError("CONFLICT", `The data key of account ${accountId} was rotated concurrently; try again.`);
    return created.version;
  }

  /** Rotates the primary master key, then re-wraps every data key under its new version. */
  async rotateMasterKey(): Promise<RewrapReport> {
    await this.keys.rotate(await this.keys.primaryKeyId());
    return this.rewrapDataKeys();
  }

  /** Re-wraps every data key under the primary master key's current version; content is untouched. */
  async rewrapDataKeys(): Promise<RewrapReport> {
    const primary = await this.keys.primaryKeyId();
    const report: RewrapReport = { rewrapped: 0, failed: [] };
    for await (const ref of this.store.list()) {
      try {
        const record = await this.store.get(ref.accountId, ref.version);
        if (!record) continue; // removed since it was listed
        requireEnabled(await this.keys.describe(record.masterKeyId));
        const raw = await this.keys.unwrap(record.masterKeyId, record.wrapped, wrapContext(record));
        try {
          const wrapped = await this.keys.wrap(primary, raw, wrapContext(record));
          await this.store.replace({ ...record, masterKeyId: primary, wrapped });
        } finally {
          raw.fill(0);
        }
        report.rewrapped++;
      } catch (error) {
        if (!(error instanceof BasaltError)) throw error;
        report.failed.push({ accountId: ref.accountId, version: ref.version, reason: error.message });
      }
    }
    this.cache.clear();
    return report;
  }

  /** How many unwrapped data keys are in memory, for tests and metrics. */
  get cachedKeyCount(): number {
    return this.cache.size;
  }

  /** Drops every unwrapped data key held in memory. */
  clearCache(): void {
    this.cache.clear();
  }

  /** Stops listening to the key provider and drops cached keys. */
  close(): void {
    this.unwatch?.();
    this.cache.clear();
  }

  private async sealer(accountId: string, context: string): Promise<{ cipher: SegmentCipher; headerBytes: Buffer }> {
    const key = await this.newestKey(accountId);
    const header: CiphertextHeader = {
      masterKeyId: key.masterKeyId,
      dataKeyId: key.keyId,
      dataKeyVersion: key.version,
      segmentBytes: this.segmentBytes,
      iv: randomBytes(IV_BYTES),
    };
    const headerBytes = encodeHeader(header);
    return { cipher: new SegmentCipher(key.key, header, headerBytes, { accountId, context }), headerBytes };
  }

  private async newestKey(accountId: string): Promise<CachedDataKey> {
    const cached = await this.usable(this.cache.getNewest(accountId));
    if (cached) return cached;
    for (let attempt = 0; attempt < 3; attempt++) {
      const record = await this.store.get(accountId);
      if (record) return this.unwrapRecord(record, true);
      // The account's first write: create version 1, or use the one a concurrent writer created.
      const created = await this.createDataKey(accountId, 1);
      if (created) return created;
    }
    throw keyUnavailable(`The data key of account ${accountId} could not be created or read.`);
  }

  private async keyFor(accountId: string, header: CiphertextHeader): Promise<CachedDataKey> {
    const cached = await this.usable(this.cache.get(accountId, header.dataKeyVersion));
    const key = cached ?? (await this.storedKey(accountId, header.dataKeyVersion));
    if (key.keyId !== header.dataKeyId) {
      throw keyUnavailable(
        `Data key version ${header.dataKeyVersion} of account ${accountId} is not the key this content was written with; the key it needs is missing.`,
      );
    }
    return key;
  }

  private async storedKey(accountId: string, version: number): Promise<CachedDataKey> {
    const record = await this.store.get(accountId, version);
    if (!record) {
      throw keyUnavailable(`Data key version ${version} of account ${accountId} is missing from the key store; content written with it is unreadable.`);
    }
    return this.unwrapRecord(record, false);
  }

  private async usable(key: CachedDataKey | undefined): Promise<CachedDataKey | undefined> {
    if (!key) return undefined;
    // A cache hit still asks whether the master key is usable, so disabling fails closed at once.
    const description = await this.keys.describe(key.masterKeyId).catch(() => undefined);
    if (description?.state === "ENABLED") return key;
    // Unusable, or re-wrapped under another key by another process: forget it and let the
    // store path decide, which throws the precise error if the key really is unusable.
    this.cache.forgetMasterKey(key.masterKeyId);
    return undefined;
  }

  private async unwrapRecord(record: WrappedDataKey, newest: boolean): Promise<CachedDataKey> {
    let raw: Buffer;
    try {
      requireEnabled(await this.keys.describe(record.masterKeyId));
      raw = await this.keys.unwrap(record.masterKeyId, record.wrapped, wrapContext(record));
    } catch (error) {
      if (!(error instanceof BasaltError) || error.code !== "KEY_UNAVAILABLE") throw error;
      throw keyUnavailable(`Data key version ${record.version} of account ${record.accountId} is unavailable: ${error.message}`, error);
    }
    return this.remember(record, raw, newest);
  }

  private async createDataKey(accountId: string, version: number): Promise<CachedDataKey | undefined> {
    const masterKeyId = await this.keys.primaryKeyId();
    const raw = randomBytes(DATA_KEY_BYTES);
    const record: WrappedDataKey = {
      accountId,
      version,
      keyId: randomBytes(DATA_KEY_ID_BYTES).toString("hex"),
      masterKeyId,
      wrapped: Buffer.alloc(0),
      createdAt: new Date().toISOString(),
    };
    try {
      record.wrapped = await this.keys.wrap(masterKeyId, raw, wrapContext(record));
      await this.store.insert(record);
    } catch (error) {
      raw.fill(0);
      if (error instanceof BasaltError && error.code === "CONFLICT") return undefined;
      throw error;
    }
    return this.remember(record, raw, true);
  }

  private remember(record: WrappedDataKey, raw: Buffer, newest: boolean): CachedDataKey {
    if (raw.length !== DATA_KEY_BYTES) {
      raw.fill(0);
      throw keyUnavailable(`Data key version ${record.version} of account ${record.accountId} is corrupt.`);
    }
    // A KeyObject holds its own copy, so the raw bytes can be wiped now and no later wipe
    // can change a key under a stream still using it.
    const key: CachedDataKey = {
      accountId: record.accountId,
      version: record.version,
      keyId: record.keyId,
      masterKeyId: record.masterKeyId,
      key: createSecretKey(raw),
    };
    raw.fill(0);
    this.cache.set(key, newest);
    return key;
  }
}

/** Binds a wrapped data key to its account and version, so it cannot be moved to another. */
function wrapContext(record: WrappedDataKey): WrapContext {
  return { "basalt:account": record.accountId, "basalt:data-key-id": record.keyId, "basalt:data-key-version": String(record.version) };
}
