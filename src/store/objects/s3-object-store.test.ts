import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { objectStoreConformance } from "../../../test/conformance/object-store.ts";
import { startLocalS3, type LocalS3 } from "../../../test/helpers/s3.ts";
import { createObjectStore } from "./create-object-store.ts";
import { S3ObjectStore, type S3ObjectStoreOptions } from "./s3-object-store.ts";

const THRESHOLD = 64 * 1024;
let s3: LocalS3;
let stores = 0;

before(async () => {
  s3 = await startLocalS3();
});
after(async () => {
  await s3?.close();
});

/** A store on the local server; each gets its own prefix, so cases do not see each other's objects. */
function storeOn(options: Partial<S3ObjectStoreOptions> = {}): S3ObjectStore {
  return new S3ObjectStore({
    bucket: s3.bucket,
    prefix: `case-${++stores}`,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    multipartThresholdBytes: THRESHOLD,
    partSizeBytes: 16 * 1024,
    ...options,
  });
}

/** A client that records the name of every command it sends. */
function recordingClient(names: string[]): S3Client {
  const client = new S3Client({ endpoint: s3.endpoint, region: "us-east-1", forcePathStyle: true, credentials: s3 });
  client.middlewareStack.add((next, context) => async (args) => {
    names.push(String(context.commandName));
    return next(args);
  });
  return client;
}

describe("S3ObjectStore against s3rver", () => {
  objectStoreConformance({
    store: async () => storeOn(),
    multipartThresholdBytes: THRESHOLD,
    skip: {
      keyOrder: "s3rver walks its directory tree, so it lists 'a/b' before 'a.txt'; S3, MinIO and Ceph list in UTF-8 byte order",
      badToken: "s3rver answers a token it cannot decrypt with 500 InternalError; S3 answers 400 InvalidArgument",
      concurrentWrites: "s3rver streams a PUT straight into the object's file, so concurrent PUTs interleave; S3, MinIO and Ceph make each PUT atomic",
    },
  });

  it("uploads a large body in parts and a small one in a single PUT", async () => {
    const names: string[] = [];
    const client = recordingClient(names);
    const store = storeOn({ client });
    await store.put("small", Buffer.alloc(THRESHOLD - 1));
    assert.deepEqual(names, ["PutObjectCommand"]);
    names.length = 0;
    const data = Buffer.alloc(THRESHOLD * 2 + 5, 7);
    const put = await store.put("big", Readable.from([data]));
    assert.equal(put.size, data.length);
    assert.equal(names[0], "CreateMultipartUploadCommand");
    assert.equal(names.filter((n) => n === "UploadPartCommand").length, Math.ceil(data.length / (16 * 1024)));
    assert.equal(names.at(-1), "CompleteMultipartUploadCommand");
    assert.ok((await store.getBytes("big")).equals(data));
    await store.close();
    client.destroy();
  });

  it("aborts the multipart upload when the body fails, leaving no object", async () => {
    const names: string[] = [];
    const client = recordingClient(names);
    const store = storeOn({ client });
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(THRESHOLD * 2);
      throw new Error("disk read failed");
    }
    await assert.rejects(store.put("broken", failing()), /disk read failed/);
    assert.ok(names.includes("AbortMultipartUploadCommand"));
    await assert.rejects(store.head("broken"), { code: "NOT_FOUND" });
    await store.close();
    client.destroy();
  });

  it("keeps each store inside its prefix", async () => {
    const a = storeOn({ prefix: "tenant-a" });
    const b = storeOn({ prefix: "tenant-b/" });
    await a.put("doc.txt", "a");
    await b.put("doc.txt", "b");
    assert.equal((await a.getBytes("doc.txt")).toString(), "a");
    assert.deepEqual((await b.list()).objects.map((o) => o.key), ["doc.txt"]);
    const raw = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: "tenant-" }));
    assert.deepEqual(raw.Contents?.map((o) => o.Key), ["tenant-a/doc.txt", "tenant-b/doc.txt"]);
    await Promise.all([a.close(), b.close()]);
  });

  it("is built from configuration with credentials from secret references", async () => {
    process.env.BASALT_TEST_S3_KEY = s3.accessKeyId;
    process.env.BASALT_TEST_S3_SECRET = s3.secretAccessKey;
    const objectStorage = {
      type: "s3" as const,
      bucket: s3.bucket,
      prefix: "from-config",
      endpoint: s3.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      accessKeyId: "env::BASALT_TEST_S3_KEY",
      secretAccessKey: "env::BASALT_TEST_S3_SECRET",
    };
    const store = createObjectStore({ dataDir: "/nonexistent", objectStorage });
    assert.ok(store instanceof S3ObjectStore);
    await store.put("hello.txt", "from config");
    assert.equal((await store.getBytes("hello.txt")).toString(), "from config");
    await store.close();

    // s3rver checks the access key id but not SigV4 signatures, so an unknown key stands in for a bad secret.
    process.env.BASALT_TEST_S3_KEY = "UNKNOWNKEY";
    const refused = createObjectStore({ dataDir: "/nonexistent", objectStorage });
    await assert.rejects(refused.head("hello.txt"), (error: Error & { code?: string }) => {
      assert.equal(error.code, "SERVICE_UNAVAILABLE");
      assert.match(error.message, /credentials/);
      assert.doesNotMatch(error.message, /UNKNOWNKEY|S3RVER/);
      return true;
    });
    await refused.close();
    delete process.env.BASALT_TEST_S3_KEY;
    delete process.env.BASALT_TEST_S3_SECRET;
  });

  it("reports a missing bucket as the operator's problem, naming the bucket", async () => {
    const store = storeOn({ bucket: "no-such-bucket" });
    await assert.rejects(store.put("x", "y"), (error: Error & { code?: string }) => {
      assert.equal(error.code, "SERVICE_UNAVAILABLE");
      assert.match(error.message, /no-such-bucket/);
      return true;
    });
    await store.close();
  });

  it("reports an unreachable endpoint as service unavailable", async () => {
    const store = storeOn({ endpoint: "http://127.0.0.1:9" });
    await assert.rejects(store.head("x"), { code: "SERVICE_UNAVAILABLE", message: /unreachable \(ECONNREFUSED\)/ });
    await store.close();
  });
});
