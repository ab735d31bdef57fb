// Encryption at rest of one embedded index (decision 0025). The SQLite file is encrypted whole by
// SQLite3MultipleCiphers under a random 256-bit key of the index's own, which is stored beside it
// in `index.key` only as envelope ciphertext (the account's data key, bound to the index). The
// graph file is sealed by the envelope layer directly. Every use of an open index first checks
// its keys again (the cached data key and the master key's state), so a master key disabled
// while the index is open fails it closed at once, not at its next open.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { BasaltError } from "../../../spec/errors.ts";
import { createFileExclusive, writeFileAtomic } from "../../../store/crypto/atomic-file.ts";
import { parseHeader } from "../../../store/crypto/ciphertext-format.ts";
import { keyUnavailable } from "../../../store/crypto/crypto-errors.ts";
import type { EnvelopeEncryption } from "../../../store/crypto/envelope-encryption.ts";

/** The sealed key's file, in the index directory. */
export const INDEX_KEY_FILE = "index.key";
const INDEX_KEY_BYTES = 32;

/** How an embedded index is encrypted: whose envelope keys, and the index's name in encryption contexts. */
export interface IndexEncryption {
  encryption: EnvelopeEncryption;
  accountId: string;
  /**
   * Names the index in every encryption context (e.g. `basalt:knowledge-base/<id>/vector-index`);
   * it must stay the same for the index's whole life, so it holds no region or path.
   */
  resource: string;
}

/** Whether an error is a key that cannot be used (fail closed), as opposed to bad bytes (rebuild). */
export function isKeyUnavailable(error: unknown): boolean {
  return error instanceof BasaltError && error.code === "KEY_UNAVAILABLE";
}

/** The open index's sealed key: unseals it to gate each use, and seals and opens graph files. */
export class IndexKey {
  private constructor(
    private readonly options: IndexEncryption,
    private readonly sealed: Buffer,
  ) {}

  /**
   * Reads the index's key from `dir`, creating it when `create` (a new index, or a plaintext one
   * about to be encrypted). Returns the raw key for the SQLite file: the caller wipes it once the
   * database is keyed. A missing key file for an existing encrypted index is KEY_UNAVAILABLE.
   */
  static async open(where: { dir: string; encryption: IndexEncryption; create: boolean }): Promise<{ indexKey: IndexKey; key: Buffer }> {
    const { dir, encryption: options, create } = where;
    const path = join(dir, INDEX_KEY_FILE);
    const { encryption, accountId } = options;
    const context = keyContext(options);
    let sealed: Buffer | undefined = await readFile(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    if (!sealed) {
      if (!create) {
        throw keyUnavailable(`The vector index at ${dir} has lost its key file ${INDEX_KEY_FILE}, so its content cannot be read; delete the knowledge base's index directory and sync its data sources again.`);
      }
      const fresh = randomBytes(INDEX_KEY_BYTES);
      const candidate = await encryption.encrypt(accountId, fresh, context).finally(() => fresh.fill(0));
      // First writer wins; a loser reads what won, so there is only ever one key for the file.
      sealed = (await createFileExclusive(path, candidate)) ? candidate : await readFile(path);
    }
    const key = await encryption.decrypt(accountId, sealed, context);
    if (key.length !== INDEX_KEY_BYTES) {
      key.fill(0);
      throw keyUnavailable(`The key file of the vector index at ${dir} is corrupt.`);
    }
    // After a data key rotation, move the index key to the account's newest data key, so nothing
    // still open depends on the old one; the SQLite file itself is not re-encrypted.
    const resealed = await encryption.encrypt(accountId, key, context);
    if (dataKeyOf(resealed) !== dataKeyOf(sealed)) {
      await writeFileAtomic(path, resealed);
      sealed = resealed;
    }
    return { indexKey: new IndexKey(options, sealed), key };
  }

  /** Throws KEY_UNAVAILABLE unless the account's key for this index can be used right now. */
  async check(): Promise<void> {
    // The key itself was authenticated at open; each use only asks whether its keys still may be used.
    await this.options.encryption.assertReadable(this.options.accountId, this.sealed);
  }

  /** Seals a graph file's bytes, bound to its file name (so a file renamed to another generation does not open). */
  seal(name: string, plaintext: AsyncIterable<Buffer>): Promise<Readable> {
    return this.options.encryption.encryptStream(this.options.accountId, plaintext, `${this.options.resource}/graph/${name}`);
  }

  /** Opens what {@link seal} wrote under `name`; a key problem rejects here, altered bytes error in the stream. */
  open(name: string, sealed: AsyncIterable<Buffer>): Promise<Readable> {
    return this.options.encryption.decryptStream(this.options.accountId, sealed, `${this.options.resource}/graph/${name}`);
  }
}

function keyContext(options: IndexEncryption): string {
  return `${options.resource}/sqlite-key`;
}

function dataKeyOf(sealed: Buffer): string {
  const { header } = parseHeader(sealed, true)!;
  return `${header.dataKeyId}/${header.dataKeyVersion}`;
}
