// The embedded object store: a directory (by default <dataDir>/objects). A write streams the
// data into a new uniquely named blob, fsyncs it, then atomically renames a new sidecar into
// place; the sidecar names the blob, so it is the single commit point and readers see the old
// object or the new one, never a mix. The replaced blob is unlinked after the commit (a reader
// that already opened it keeps reading it; POSIX keeps the inode alive).
import { createHash } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { validation } from "../../spec/errors.ts";
import { validateMaxKeys, validateObjectKey, validatePrefix, validatePutOptions, validateRange } from "./keys.ts";
import { ensureDirectories, keyPaths, newFileId, readMeta, removeEmptyParents, walkKeys, type StoredMeta } from "./local-layout.ts";
import {
  ObjectNotFoundError,
  bodyChunks,
  rangeNotSatisfiable,
  readAll,
  type CopyObjectResult,
  type GetObjectOptions,
  type ListObjectsOptions,
  type ListObjectsPage,
  type ObjectBody,
  type ObjectInfo,
  type ObjectReadStream,
  type ObjectStore,
  type PutObjectOptions,
  type PutObjectResult,
} from "./object-store.ts";

/** Options of {@link LocalObjectStore}. */
export interface LocalObjectStoreOptions {
  /** The directory objects live in; created when missing. */
  root: string;
}

type FileHandle = Awaited<ReturnType<typeof open>>;

const errno = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;

function toInfo(meta: StoredMeta): ObjectInfo {
  return {
    key: meta.key,
    size: meta.size,
    etag: meta.etag,
    lastModified: new Date(meta.lastModified),
    contentType: meta.contentType,
    metadata: { ...meta.metadata },
  };
}

/** Serialises commits per key within this process, so each commit unlinks exactly the blob it replaced. */
class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const tail = previous.then(() => new Promise<void>((resolve) => (release = resolve)));
    this.tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/** An object store in a local directory: atomic writes, JSON sidecars, listing in key order. */
export class LocalObjectStore implements ObjectStore {
  readonly root: string;
  private readonly lock = new KeyedLock();

  constructor(options: LocalObjectStoreOptions) {
    this.root = resolve(options.root);
  }

  async put(key: string, body: ObjectBody, options?: PutObjectOptions): Promise<PutObjectResult> {
    validateObjectKey(key);
    const { contentType, metadata } = validatePutOptions(options);
    const paths = keyPaths(this.root, key);
    const blob = newFileId();
    const blobPath = join(paths.dir, `${paths.name}.${blob}.blob`);
    const handle = await this.createBlob(key, blobPath);
    let size = 0;
    const md5 = createHash("md5");
    try {
      for await (const chunk of bodyChunks(body)) {
        md5.update(chunk);
        size += chunk.length;
        await handle.writeFile(chunk);
      }
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => undefined);
      await unlink(blobPath).catch(() => undefined);
      throw error;
    }
    await handle.close();
    const meta: StoredMeta = { version: 1, key, blob, size, etag: md5.digest("hex"), contentType, metadata, lastModified: new Date().toISOString() };
    await this.commit(paths.dir, paths.name, meta);
    return { etag: meta.etag, size };
  }

  async get(key: string, options: GetObjectOptions = {}): Promise<ObjectReadStream> {
    validateObjectKey(key);
    if (options.range) validateRange(options.range);
    const { meta, handle } = await this.openBlob(key);
    const info = toInfo(meta);
    if (!options.range) return { info, body: handle.createReadStream() };
    if (options.range.start >= meta.size) {
      await handle.close();
      throw rangeNotSatisfiable(key, meta.size);
    }
    const range = { start: options.range.start, end: Math.min(options.range.end ?? meta.size - 1, meta.size - 1) };
    return { info, body: handle.createReadStream(range), range };
  }

  async getBytes(key: string, options?: GetObjectOptions): Promise<Buffer> {
    return readAll((await this.get(key, options)).body);
  }

  async head(key: string): Promise<ObjectInfo> {
    validateObjectKey(key);
    const meta = await readMeta(keyPaths(this.root, key).metaPath);
    if (!meta) throw new ObjectNotFoundError(key);
    return toInfo(meta);
  }

  async delete(key: string): Promise<void> {
    validateObjectKey(key);
    const paths = keyPaths(this.root, key);
    await this.lock.run(paths.metaPath, async () => {
      const meta = await readMeta(paths.metaPath);
      if (!meta) return;
      await unlink(paths.metaPath).catch((error) => {
        if (errno(error) !== "ENOENT") throw error;
      });
      await unlink(join(paths.dir, `${paths.name}.${meta.blob}.blob`)).catch(() => undefined);
    });
    await removeEmptyParents(this.root, paths.dir);
  }

  async list(options: ListObjectsOptions = {}): Promise<ListObjectsPage> {
    const prefix = validatePrefix(options.prefix ?? "");
    const maxKeys = validateMaxKeys(options.maxKeys);
    const startAfter = options.continuationToken === undefined ? undefined : decodeToken(options.continuationToken);
    const page: ListObjectsPage = { objects: [] };
    for await (const found of walkKeys(this.root, { prefix, startAfter })) {
      const meta = found.meta ?? (await readMeta(found.metaPath));
      if (!meta) continue; // deleted while listing
      if (page.objects.length === maxKeys) {
        page.continuationToken = encodeToken(page.objects[page.objects.length - 1]!.key);
        break;
      }
      const { key, size, etag, lastModified } = toInfo(meta);
      page.objects.push({ key, size, etag, lastModified });
    }
    return page;
  }

  async copy(sourceKey: string, destinationKey: string): Promise<CopyObjectResult> {
    validateObjectKey(sourceKey, "sourceKey");
    validateObjectKey(destinationKey, "destinationKey");
    if (sourceKey === destinationKey) return { etag: (await this.head(sourceKey)).etag };
    const { meta, handle } = await this.openBlob(sourceKey);
    const { etag } = await this.put(destinationKey, handle.createReadStream(), { contentType: meta.contentType, metadata: meta.metadata });
    return { etag };
  }

  async close(): Promise<void> {}

  /** Creates the blob file, recreating directories a concurrent delete removed in between. */
  private async createBlob(key: string, blobPath: string): Promise<FileHandle> {
    for (let attempt = 0; ; attempt++) {
      await ensureDirectories(this.root, key);
      try {
        return await open(blobPath, "wx");
      } catch (error) {
        if (errno(error) !== "ENOENT" || attempt >= 3) throw error;
      }
    }
  }

  /** Renames the new sidecar over the old one, then unlinks the blob it replaced. */
  private async commit(dir: string, name: string, meta: StoredMeta): Promise<void> {
    const metaPath = join(dir, `${name}.meta`);
    const temp = join(dir, `${name}.${newFileId()}.tmp`);
    const file = await open(temp, "wx");
    try {
      await file.writeFile(JSON.stringify(meta));
      await file.sync();
    } finally {
      await file.close();
    }
    await this.lock.run(metaPath, async () => {
      const previous = await readMeta(metaPath).catch(() => undefined);
      await rename(temp, metaPath);
      if (previous && previous.blob !== meta.blob) await unlink(join(dir, `${name}.${previous.blob}.blob`)).catch(() => undefined);
    });
  }

  /** Reads the sidecar and opens its blob, rereading when a concurrent write replaced the blob in between. */
  private async openBlob(key: string): Promise<{ meta: StoredMeta; handle: FileHandle }> {
    const paths = keyPaths(this.root, key);
    for (let attempt = 0; ; attempt++) {
      const meta = await readMeta(paths.metaPath);
      if (!meta) throw new ObjectNotFoundError(key);
      try {
        return { meta, handle: await open(join(paths.dir, `${paths.name}.${meta.blob}.blob`), "r") };
      } catch (error) {
        if (errno(error) !== "ENOENT" || attempt >= 5) throw error;
      }
    }
  }
}

// The token is the last key listed, so a page resumes after it even if objects changed meanwhile.
function encodeToken(lastKey: string): string {
  return Buffer.from(lastKey, "utf8").toString("base64url");
}

function decodeToken(token: string): string {
  const key = Buffer.from(token, "base64url").toString("utf8");
  if (key === "" || encodeToken(key) !== token) throw validation("continuationToken", "is not a token this store issued");
  return key;
}
