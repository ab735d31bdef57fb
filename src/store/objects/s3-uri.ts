// `s3://bucket/prefix` addresses, as Bedrock's APIs take them (knowledge-base data sources,
// invocation logging). Like the AWS CLI, the part after the bucket is taken verbatim, not URL-decoded.
import { validation } from "../../spec/errors.ts";
import { MAX_KEY_BYTES } from "./keys.ts";

/** A parsed `s3://bucket/prefix` address. */
export interface S3Uri {
  bucket: string;
  /** Everything after `bucket/`, possibly empty. */
  prefix: string;
}

/** Whether a name follows S3's general-purpose bucket naming rules. */
export function isValidBucketName(name: string): boolean {
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes("..") &&
    !/^\d{1,3}(\.\d{1,3}){3}$/.test(name) &&
    !/^(xn--|sthree-|amzn-s3-demo-)/.test(name) &&
    !/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)
  );
}

/** Parses `s3://bucket` or `s3://bucket/prefix`; a bad address is a ValidationException naming `field`. */
export function parseS3Uri(uri: string, field = "s3Uri"): S3Uri {
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/is.exec(uri);
  if (!match) throw validation(field, "must be an S3 URI: s3://bucket or s3://bucket/prefix");
  const bucket = match[1]!;
  const prefix = match[2] ?? "";
  if (!isValidBucketName(bucket)) throw validation(field, `${JSON.stringify(bucket)} is not a valid S3 bucket name`);
  if (/[\u0000-\u001f\u007f]/.test(prefix)) throw validation(field, "the prefix must not contain control characters");
  if (Buffer.byteLength(prefix, "utf8") > MAX_KEY_BYTES) throw validation(field, `the prefix has at most ${MAX_KEY_BYTES} UTF-8 bytes`);
  return { bucket, prefix };
}

/** Formats an address back into `s3://bucket/prefix`. */
export function formatS3Uri(uri: S3Uri): string {
  return `s3://${uri.bucket}/${uri.prefix}`;
}
