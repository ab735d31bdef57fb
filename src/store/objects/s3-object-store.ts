// An object store in any S3-compatible bucket (AWS S3, MinIO, Ceph RGW, ...), through the AWS
// SDK, which also does the retries. Small bodies go up in one PutObject; a body that reaches the
// multipart threshold goes up in parts, so a stream of unknown length never sits in memory whole.
import { Readable } from "node:stream";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { BasaltError, validation } from "../../spec/errors.ts";
import { MAX_KEY_BYTES, validateMaxKeys, validateObjectKey, validatePrefix, validatePutOptions, validateRange } from "./keys.ts";
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
import { decodeMetadata, encodeMetadata } from "./s3-metadata.ts";
import { ByteChunker, uploadMultipart } from "./s3-multipart.ts";

/** Options of {@link S3ObjectStore}. */
export interface S3ObjectStoreOptions {
  bucket: string;
  /** Prefix of every key in the bucket, so Basalt can share it; a trailing `/` is added. */
  prefix?: string;
  /** An S3-compatible server's URL; AWS S3 when absent. */
  endpoint?: string;
  /** Default us-east-1 (with redirects to a bucket's own region followed). */
  region?: string;
  /** Path-style addressing (`http://host/bucket/key`), which most self-hosted servers need. */
  forcePathStyle?: boolean;
  /** Resolved credentials; the SDK's default chain (environment, profile, instance role) when absent. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Bodies of at least this many bytes go up in parts. Default 16 MiB. */
  multipartThresholdBytes?: number;
  /** Bytes per part but the last. Default 8 MiB; AWS S3 refuses parts under 5 MiB. */
  partSizeBytes?: number;
  /** Parts uploaded at once. Default 4. */
  partConcurrency?: number;
  /** A client to use instead of building one; the store then leaves closing it to its owner. */
  client?: S3Client;
}

const MiB = 1024 * 1024;

const unquote = (etag: string | undefined): string => (etag ?? "").replace(/^(W\/)?"|"$/g, "");

/** Percent-encodes a key for x-amz-copy-source, keeping `/` (S3 wants the source URL-encoded). */
function encodeCopySource(bucket: string, key: string): string {
  return `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
}

/** An object store in an S3-compatible bucket. */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly threshold: number;
  private readonly partSize: number;
  private readonly concurrency: number;

  constructor(options: S3ObjectStoreOptions) {
    this.bucket = options.bucket;
    const prefix = options.prefix ?? "";
    this.prefix = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
    if (this.prefix !== "") validateObjectKey(this.prefix.slice(0, -1), "objectStorage.prefix");
    this.threshold = positive(options.multipartThresholdBytes ?? 16 * MiB, "multipartThresholdBytes");
    this.partSize = positive(options.partSizeBytes ?? 8 * MiB, "partSizeBytes");
    this.concurrency = positive(options.partConcurrency ?? 4, "partConcurrency");
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? new S3Client(clientConfig(options));
  }

  async put(key: string, body: ObjectBody, options?: PutObjectOptions): Promise<PutObjectResult> {
    const Key = this.toS3Key(key);
    const { contentType, metadata } = validatePutOptions(options);
    const Metadata = encodeMetadata(metadata);
    const source = bodyChunks(body);
    const chunker = new ByteChunker(source);
    try {
      const head = await chunker.take(this.threshold);
      if (head.length < this.threshold) {
        const result = await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key, Body: head, ContentLength: head.length, ContentType: contentType, Metadata }),
        );
        return { etag: unquote(result.ETag), size: head.length };
      }
      chunker.unshift(head);
      const result = await uploadMultipart({
        client: this.client,
        bucket: this.bucket,
        key: Key,
        contentType,
        metadata: Metadata,
        chunker,
        partSize: this.partSize,
        concurrency: this.concurrency,
      });
      return { etag: unquote(result.etag), size: result.size };
    } catch (error) {
      throw this.mapError(error, key);
    } finally {
      await chunker.release();
    }
  }

  async get(key: string, options: GetObjectOptions = {}): Promise<ObjectReadStream> {
    const Key = this.toS3Key(key);
    const range = options.range && validateRange(options.range);
    try {
      const result = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key, Range: range ? `bytes=${range.start}-${range.end ?? ""}` : undefined }),
      );
      if (!(result.Body instanceof Readable)) throw new Error("GetObject returned no Node stream");
      const served = range ? parseContentRange(result.ContentRange) : undefined;
      if (range && !served) {
        result.Body.destroy();
        throw new BasaltError("SERVICE_UNAVAILABLE", "Object storage ignored a range request (no Content-Range in its answer).");
      }
      const info: ObjectInfo = {
        key,
        size: served?.size ?? result.ContentLength ?? 0,
        etag: unquote(result.ETag),
        lastModified: result.LastModified ?? new Date(0),
        contentType: result.ContentType ?? "application/octet-stream",
        metadata: decodeMetadata(result.Metadata),
      };
      return served ? { info, body: result.Body, range: { start: served.start, end: served.end } } : { info, body: result.Body };
    } catch (error) {
      throw this.mapError(error, key);
    }
  }

  async getBytes(key: string, options?: GetObjectOptions): Promise<Buffer> {
    return readAll((await this.get(key, options)).body);
  }

  async head(key: string): Promise<ObjectInfo> {
    const Key = this.toS3Key(key);
    try {
      const result = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return {
        key,
        size: result.ContentLength ?? 0,
        etag: unquote(result.ETag),
        lastModified: result.LastModified ?? new Date(0),
        contentType: result.ContentType ?? "application/octet-stream",
        metadata: decodeMetadata(result.Metadata),
      };
    } catch (error) {
      throw this.mapError(error, key);
    }
  }

  async delete(key: string): Promise<void> {
    const Key = this.toS3Key(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
    } catch (error) {
      throw this.mapError(error, key);
    }
  }

  async list(options: ListObjectsOptions = {}): Promise<ListObjectsPage> {
    const prefix = validatePrefix(options.prefix ?? "");
    const MaxKeys = validateMaxKeys(options.maxKeys);
    try {
      const result = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, MaxKeys, ContinuationToken: options.continuationToken }),
      );
      const objects = (result.Contents ?? []).map((object) => ({
        key: (object.Key ?? "").slice(this.prefix.length),
        size: object.Size ?? 0,
        etag: unquote(object.ETag),
        lastModified: object.LastModified ?? new Date(0),
      }));
      return result.IsTruncated && result.NextContinuationToken ? { objects, continuationToken: result.NextContinuationToken } : { objects };
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (options.continuationToken !== undefined && status === 400) {
        throw validation("continuationToken", "is not a token this store issued");
      }
      throw this.mapError(error, prefix);
    }
  }

  async copy(sourceKey: string, destinationKey: string): Promise<CopyObjectResult> {
    validateObjectKey(sourceKey, "sourceKey");
    // S3 refuses to copy an object onto itself unchanged; the outcome is the object as it is.
    if (sourceKey === destinationKey) return { etag: (await this.head(sourceKey)).etag };
    const CopySource = encodeCopySource(this.bucket, this.toS3Key(sourceKey));
    const Key = this.toS3Key(destinationKey, "destinationKey");
    try {
      const result = await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key, CopySource, MetadataDirective: "COPY" }));
      return { etag: unquote(result.CopyObjectResult?.ETag) };
    } catch (error) {
      throw this.mapError(error, sourceKey);
    }
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }

  private toS3Key(key: string, field = "key"): string {
    validateObjectKey(key, field);
    const full = this.prefix + key;
    if (Buffer.byteLength(full, "utf8") > MAX_KEY_BYTES) throw validation(field, `the key and the store's prefix have at most ${MAX_KEY_BYTES} UTF-8 bytes`);
    return full;
  }

  /** Turns an SDK error into a BasaltError; the bucket's own problems are the operator's, not the caller's. */
  private mapError(error: unknown, key: string): unknown {
    if (error instanceof BasaltError) return error;
    const { name, code, $metadata } = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
    if ($metadata === undefined) return error; // not from the SDK: the body's own stream failed, say
    const status = $metadata.httpStatusCode;
    if (status === undefined) {
      return new BasaltError("SERVICE_UNAVAILABLE", `Object storage is unreachable (${code ?? name ?? "no response"}).`, { cause: error });
    }
    if (name === "NoSuchBucket") {
      return new BasaltError("SERVICE_UNAVAILABLE", `The object-storage bucket ${this.bucket} does not exist.`, { cause: error });
    }
    if (name === "NoSuchKey" || name === "NotFound" || status === 404) return new ObjectNotFoundError(key, { cause: error });
    if (name === "InvalidRange" || status === 416) return rangeNotSatisfiable(key, undefined, error);
    if (status === 403 || name === "InvalidAccessKeyId" || name === "SignatureDoesNotMatch") {
      return new BasaltError("SERVICE_UNAVAILABLE", `Object storage refused Basalt's credentials for bucket ${this.bucket}.`, { cause: error });
    }
    return new BasaltError("SERVICE_UNAVAILABLE", `Object storage failed (${name}).`, { cause: error });
  }
}

function positive(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw validation(field, "must be a positive integer");
  return value;
}

/** The SDK client settings for a store. */
function clientConfig(options: S3ObjectStoreOptions): S3ClientConfig {
  const config: S3ClientConfig = {
    region: options.region ?? "us-east-1",
    // Without a configured region, an AWS bucket elsewhere answers 301; the SDK then retries in its region.
    followRegionRedirects: options.region === undefined,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle,
    credentials: options.credentials,
  };
  if (options.endpoint !== undefined) {
    // Since 3.729 the SDK adds CRC checksums to every upload by default; many S3-compatible
    // servers (older MinIO and Ceph) reject or mis-store them, so only send them when required.
    config.requestChecksumCalculation = "WHEN_REQUIRED";
    config.responseChecksumValidation = "WHEN_REQUIRED";
  }
  return config;
}

/** Reads `bytes start-end/size` from a Content-Range header. */
function parseContentRange(header: string | undefined): { start: number; end: number; size: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header ?? "");
  if (!match) return undefined;
  return { start: Number(match[1]), end: Number(match[2]), size: Number(match[3]) };
}
