// Which store stands behind a data source's bucket. The configuration decides, never the
// request (no server-side request forgery through a bucket ARN): a bucket listed in
// `knowledgeBases.buckets`, else the folder `<dataDir>/buckets/<bucket>` if it exists, else the
// S3-compatible server of `knowledgeBases.s3`; with none of these the bucket does not exist.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../../config/schema.ts";
import { resolveSecret } from "../../../config/secrets.ts";
import { BasaltError, validation } from "../../../spec/errors.ts";
import { FolderSource } from "./folder-source.ts";
import { S3Source } from "./s3-source.ts";
import { SourceError, type DocumentSource } from "./source.ts";

const BUCKET_ARN = /^arn:aws[a-z-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/;

/** The bucket an `arn:aws:s3:::<bucket>` names; a ValidationException naming `field` otherwise. */
export function bucketFromArn(arn: string, field = "dataSourceConfiguration.s3Configuration.bucketArn"): string {
  const bucket = BUCKET_ARN.exec(arn)?.[1];
  if (!bucket) throw validation(field, "must be an S3 bucket ARN, arn:aws:s3:::<bucket>");
  return bucket;
}

type S3Settings = NonNullable<Config["knowledgeBases"]["s3"]>;

function s3Source(bucket: string, settings: S3Settings): S3Source {
  const credentials =
    settings.accessKeyId && settings.secretAccessKey
      ? { accessKeyId: resolveSecret(settings.accessKeyId), secretAccessKey: resolveSecret(settings.secretAccessKey) }
      : undefined;
  return new S3Source(bucket, { endpoint: settings.endpoint, region: settings.region, forcePathStyle: settings.forcePathStyle, credentials });
}

/**
 * Opens the source of `bucket` for `accountId` under this configuration. A listed bucket with an
 * `accounts` list is readable by those accounts only (AccessDeniedException for the others).
 */
export function resolveSource(config: Pick<Config, "dataDir" | "knowledgeBases">, bucket: string, accountId: string): DocumentSource {
  const listed = config.knowledgeBases.buckets[bucket];
  if (listed?.accounts && !listed.accounts.includes(accountId)) {
    throw new BasaltError("ACCESS_DENIED", `The bucket ${bucket} is not available to account ${accountId}.`);
  }
  if (listed) return "folder" in listed ? new FolderSource(listed.folder, bucket) : s3Source(bucket, listed.s3);
  const folder = join(config.dataDir, "buckets", bucket);
  if (existsSync(folder) || !config.knowledgeBases.s3) return new FolderSource(folder, bucket);
  return s3Source(bucket, config.knowledgeBases.s3);
}

export { SourceError };
