// The object-storage contract for documents and artifacts. Every implementation (a local
// directory, any S3-compatible bucket) runs one conformance suite: test/conformance/object-store.ts.
// The contract follows S3's semantics where they differ from a file system's: keys are flat
// strings listed in UTF-8 byte order, a put replaces atomically, and deleting a missing key is fine.
import type { Readable } from "node:stream";
import { BasaltError } from "../../spec/errors.ts";

/** Bytes to store: a buffer, a string (stored as UTF-8) or a stream of chunks (a Node Readable works). */
export type ObjectBody = Uint8Array | string | AsyncIterable<Uint8Array | string>;

/** Options of {@link ObjectStore.put}. */
export interface PutObjectOptions {
  /** MIME type; `application/octet-stream` when absent. */
  contentType?: string;
  /** User metadata: lowercase keys of `[a-z0-9._-]`, string values, 2 KB in all (S3's limit). */
  metadata?: Record<string, string>;
}

/** What {@link ObjectStore.put} returns. */
export interface PutObjectResult {
  etag: string;
  size: number;
}

/** What {@link ObjectStore.copy} returns. */
export interface CopyObjectResult {
  etag: string;
}

/** One object as {@link ObjectStore.list} reports it. */
export interface ObjectSummary {
  key: string;
  /** Size in bytes. */
  size: number;
  /** Opaque entity tag without quotes; it changes when the content does. */
  etag: string;
  lastModified: Date;
}

/** One object as {@link ObjectStore.head} reports it. */
export interface ObjectInfo extends ObjectSummary {
  contentType: string;
  metadata: Record<string, string>;
}

/** A byte range with both ends inclusive, as in HTTP; an `end` past the object is clamped. */
export interface ByteRange {
  start: number;
  /** Last byte wanted; the object's last byte when absent. */
  end?: number;
}

/** Options of {@link ObjectStore.get}. */
export interface GetObjectOptions {
  range?: ByteRange;
}

/** An object being read. The caller must consume or destroy `body`, or a socket or file stays open. */
export interface ObjectReadStream {
  /** The whole object's description (`size` is the object's, not the range's). */
  info: ObjectInfo;
  body: Readable;
  /** The bytes `body` carries, clamped to the object, when a range was asked for. */
  range?: { start: number; end: number };
}

/** Options of {@link ObjectStore.list}. */
export interface ListObjectsOptions {
  /** Only keys starting with this string (not necessarily at a `/`). */
  prefix?: string;
  /** Objects per page, 1 to 1000; default 1000. */
  maxKeys?: number;
  /** The `continuationToken` of the previous page. */
  continuationToken?: string;
}

/** One page of {@link ObjectStore.list}. */
export interface ListObjectsPage {
  /** In UTF-8 byte order of their keys, as S3 lists them. */
  objects: ObjectSummary[];
  /** Present when more objects follow; pass it back for the next page. */
  continuationToken?: string;
}

/** Storage of opaque objects by key: the local directory or an S3-compatible bucket. */
export interface ObjectStore {
  /** Stores an object, replacing any under this key; readers see the old or the new one, never a mix. */
  put(key: string, body: ObjectBody, options?: PutObjectOptions): Promise<PutObjectResult>;
  /** Opens an object (or a range of it) as a stream; a missing key throws {@link ObjectNotFoundError}. */
  get(key: string, options?: GetObjectOptions): Promise<ObjectReadStream>;
  /** Reads an object (or a range of it) into memory. */
  getBytes(key: string, options?: GetObjectOptions): Promise<Buffer>;
  /** Describes an object without reading it. */
  head(key: string): Promise<ObjectInfo>;
  /** Removes an object; removing a missing one is not an error (as on S3). */
  delete(key: string): Promise<void>;
  /** Lists objects by prefix, one page at a time. */
  list(options?: ListObjectsOptions): Promise<ListObjectsPage>;
  /** Copies an object with its content type and metadata, replacing any at the destination. */
  copy(sourceKey: string, destinationKey: string): Promise<CopyObjectResult>;
  /** Releases sockets and handles; the store is unusable afterwards. */
  close(): Promise<void>;
}

/** The typed error for a key with no object; an ordinary NOT_FOUND BasaltError to the API layer. */
export class ObjectNotFoundError extends BasaltError {
  readonly key: string;

  constructor(key: string, options: { cause?: unknown } = {}) {
    super("NOT_FOUND", `The object ${JSON.stringify(key)} does not exist.`, options);
    this.key = key;
  }
}

/** The error for a range that starts past the object's end (HTTP 416, as S3 answers). */
export function rangeNotSatisfiable(key: string, size?: number, cause?: unknown): BasaltError {
  const detail = size === undefined ? "" : `: the object has ${size} bytes`;
  return new BasaltError("VALIDATION", `The requested range of ${JSON.stringify(key)} is not satisfiable${detail}.`, { httpStatus: 416, cause });
}

/** Whether an error is a missing-object error of any store. */
export function isObjectNotFound(error: unknown): error is ObjectNotFoundError {
  return error instanceof ObjectNotFoundError;
}

/** Every object under a prefix, page after page. */
export async function* listAllObjects(store: ObjectStore, options: Omit<ListObjectsOptions, "continuationToken"> = {}): AsyncGenerator<ObjectSummary> {
  let continuationToken: string | undefined;
  do {
    const page = await store.list({ ...options, continuationToken });
    yield* page.objects;
    continuationToken = page.continuationToken;
  } while (continuationToken !== undefined);
}

/** Reads a stream to its end into one buffer. */
export async function readAll(stream: AsyncIterable<Uint8Array | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  return Buffer.concat(chunks);
}

/** The chunks of any {@link ObjectBody}, as buffers. */
export async function* bodyChunks(body: ObjectBody): AsyncGenerator<Buffer> {
  if (typeof body === "string") {
    yield Buffer.from(body, "utf8");
  } else if (body instanceof Uint8Array) {
    yield Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  } else {
    for await (const chunk of body) {
      if (typeof chunk === "string") yield Buffer.from(chunk, "utf8");
      else yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  }
}

