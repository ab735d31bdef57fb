// Multipart upload with the plain S3 commands (the SDK's lib-storage is not a dependency):
// CreateMultipartUpload, UploadPart with a few parts in flight, CompleteMultipartUpload, and
// AbortMultipartUpload on any failure so no invisible parts are left to bill.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from "@aws-sdk/client-s3";
import { validation } from "../../spec/errors.ts";

/** S3's limit on the parts of one upload. */
export const MAX_PARTS = 10_000;

/** Hands out a body's bytes in pieces of a requested size, reading the source only as needed. */
export class ByteChunker {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private ended = false;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  /** Up to `size` bytes: fewer only at the end of the body, empty once it is used up. */
  async take(size: number): Promise<Buffer> {
    while (this.pendingBytes < size && !this.ended) {
      const next = await this.source.next();
      if (next.done) this.ended = true;
      else if (next.value.length > 0) {
        this.pending.push(next.value);
        this.pendingBytes += next.value.length;
      }
    }
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const rest = all.subarray(size);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return all.subarray(0, size);
  }

  /** Puts bytes back in front, to be taken again. */
  unshift(data: Buffer): void {
    if (data.length === 0) return;
    this.pending.unshift(data);
    this.pendingBytes += data.length;
  }

  /** Stops reading the source (destroying a stream that is not finished). */
  async release(): Promise<void> {
    if (!this.ended) await this.source.return?.();
  }
}

/** Options of {@link uploadMultipart}. */
export interface MultipartUploadOptions {
  client: S3Client;
  bucket: string;
  key: string;
  contentType: string;
  /** Already encoded for headers. */
  metadata: Record<string, string>;
  chunker: ByteChunker;
  partSize: number;
  concurrency: number;
}

/** Uploads the chunker's bytes in parts; returns the object's ETag (quoted, as S3 sends it) and size. */
export async function uploadMultipart(options: MultipartUploadOptions): Promise<{ etag: string | undefined; size: number }> {
  const { client, bucket: Bucket, key: Key, chunker, partSize } = options;
  const created = await client.send(new CreateMultipartUploadCommand({ Bucket, Key, ContentType: options.contentType, Metadata: options.metadata }));
  const UploadId = created.UploadId;
  if (!UploadId) throw new Error("CreateMultipartUpload returned no UploadId");
  const parts: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  // A failed part is recorded rather than left as a rejected promise nobody awaits yet.
  let failure: { error: unknown } | undefined;
  let size = 0;
  try {
    for (let partNumber = 1; ; partNumber++) {
      const data = await chunker.take(partSize);
      if (data.length === 0) break;
      if (partNumber > MAX_PARTS) throw validation("body", `an object has at most ${MAX_PARTS} parts of ${partSize} bytes`);
      size += data.length;
      const task: Promise<void> = client
        .send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: partNumber, Body: data, ContentLength: data.length }))
        .then(
          (result) => void parts.push({ PartNumber: partNumber, ETag: result.ETag }),
          (error: unknown) => void (failure ??= { error }),
        )
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
      if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
      if (failure) throw failure.error;
    }
    await Promise.all(inFlight);
    if (failure) throw failure.error;
    parts.sort((a, b) => a.PartNumber! - b.PartNumber!);
    const done = await client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }));
    return { etag: done.ETag, size };
  } catch (error) {
    // Let parts in flight land first: S3 may keep a part that completes after the abort.
    await Promise.all(inFlight);
    await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined);
    throw error;
  }
}
