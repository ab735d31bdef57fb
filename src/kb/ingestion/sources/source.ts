// What a sync reads documents from: a bucket, whether a local folder or an S3-compatible server
// stands behind it. Listing gives each object's fingerprint (what changes when its content does),
// so a sync parses and embeds only new or changed documents.

/** One object of a data source. */
export interface SourceObject {
  /** The key inside the bucket, `/`-separated. */
  key: string;
  /** `s3://<bucket>/<key>`: the document's id, whatever stands behind the bucket. */
  uri: string;
  /** Where Retrieve says the document is: the file's `file:///…` URI for a folder, else the S3 URI. */
  location: string;
  size: number;
  /** Opaque; equal fingerprints mean equal content (ETag for S3, size and mtime for files). */
  fingerprint: string;
}

/** A readable bucket. */
export interface DocumentSource {
  /** Describes the source for logs and failure reasons, e.g. `folder /srv/docs` or `s3://bucket`. */
  readonly description: string;
  /** Every object under the prefixes (all objects when none), in key order. Throws {@link SourceError} when the bucket is unreachable. */
  list(prefixes: readonly string[], signal?: AbortSignal): AsyncIterable<SourceObject>;
  /** One object's bytes. */
  read(key: string, signal?: AbortSignal): Promise<Buffer>;
  close(): Promise<void>;
}

/** The whole source failed (a missing bucket, refused credentials): the sync fails with this reason. */
export class SourceError extends Error {
  /** True when retrying cannot help (the bucket does not exist), false for outages. */
  readonly permanent: boolean;
  constructor(message: string, options?: { cause?: unknown; permanent?: boolean }) {
    super(message, options);
    this.name = "SourceError";
    this.permanent = options?.permanent ?? false;
  }
}
