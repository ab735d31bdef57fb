import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatS3Uri, isValidBucketName, parseS3Uri } from "./s3-uri.ts";

describe("parseS3Uri", () => {
  const valid: Array<[string, { bucket: string; prefix: string }]> = [
    ["s3://my-bucket", { bucket: "my-bucket", prefix: "" }],
    ["s3://my-bucket/", { bucket: "my-bucket", prefix: "" }],
    ["s3://my-bucket/docs/", { bucket: "my-bucket", prefix: "docs/" }],
    ["s3://my.bucket.v2/a/b/file.pdf", { bucket: "my.bucket.v2", prefix: "a/b/file.pdf" }],
    ["S3://abc/Résumé 2024/%20kept%20verbatim", { bucket: "abc", prefix: "Résumé 2024/%20kept%20verbatim" }],
  ];
  for (const [uri, expected] of valid) {
    it(`parses ${uri}`, () => assert.deepEqual(parseS3Uri(uri), expected));
  }

  const invalid = [
    "http://bucket/key",
    "s3:/bucket",
    "s3://",
    "s3:///key",
    "s3://ab/key",
    "s3://My-Bucket/key",
    "s3://bucket_name/key",
    "s3://-bucket/key",
    "s3://bucket-/key",
    "s3://my..bucket/key",
    "s3://192.168.1.1/key",
    "s3://xn--bucket/key",
    "s3://bucket-s3alias/key",
    `s3://${"a".repeat(64)}/key`,
    "s3://bucket/line\nbreak",
    `s3://bucket/${"k".repeat(1025)}`,
  ];
  for (const uri of invalid) {
    it(`refuses ${JSON.stringify(uri.slice(0, 40))}`, () => {
      assert.throws(() => parseS3Uri(uri, "dataSource.s3Uri"), (error: Error & { code?: string }) => {
        assert.equal(error.code, "VALIDATION");
        assert.match(error.message, /dataSource\.s3Uri/);
        return true;
      });
    });
  }

  it("formats what it parses back to the same address", () => {
    assert.equal(formatS3Uri(parseS3Uri("s3://bucket/a/b/")), "s3://bucket/a/b/");
    assert.equal(formatS3Uri({ bucket: "bucket", prefix: "" }), "s3://bucket/");
  });

  it("accepts bucket names at both length limits", () => {
    assert.ok(isValidBucketName("abc"));
    assert.ok(isValidBucketName("a".repeat(63)));
  });
});
