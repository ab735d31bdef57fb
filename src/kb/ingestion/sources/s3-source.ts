// A bucket on an S3-compatible server (AWS S3, MinIO, Ceph, s3rver), read through the object
// store layer's S3 client: paged listing, ETags as fingerprints.
import { listAllObjects } from "../../../store/objects/object-store.ts";
import { S3ObjectStore, type S3ObjectStoreOptions } from "../../../store/objects/s3-object-store.ts";
import { SourceError, type DocumentSource, type SourceObject } from "./source.ts";

/** Reads `bucket` on the server the options name. */
export class S3Source implements DocumentSource {
  readonly description: string;
  readonly #store: S3ObjectStore;

  constructor(
    private readonly bucket: string,
    options: Omit<S3ObjectStoreOptions, "bucket" | "prefix">,
  ) {
    this.#store = new S3ObjectStore({ ...options, bucket });
    this.description = `bucket '${bucket}'${options.endpoint ? ` at ${new URL(options.endpoint).host}` : ""}`;
  }

  async *list(prefixes: readonly string[], signal?: AbortSignal): AsyncIterable<SourceObject> {
    for (const prefix of prefixes.length ? prefixes : [""]) {
      try {
        for await (const object of listAllObjects(this.#store, prefix ? { prefix } : {})) {
          signal?.throwIfAborted();
          const uri = `s3://${this.bucket}/${object.key}`;
          yield { key: object.key, uri, location: uri, size: object.size, fingerprint: `${object.etag}:${object.size}` };
        }
      } catch (error) {
        if (signal?.aborted) throw error;
        const message = error instanceof Error ? error.message : String(error);
        const missing = /does not exist/.test(message);
        throw new SourceError(missing ? `the ${this.description} does not exist` : `listing the ${this.description} failed: ${message}`, { cause: error, permanent: missing });
      }
    }
  }

  read(key: string): Promise<Buffer> {
    return this.#store.getBytes(key);
  }

  async close(): Promise<void> {
    await this.#store.close();
  }
}
