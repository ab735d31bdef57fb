// A real S3-compatible server for tests: s3rver, on a free loopback port, storing in a temp
// directory. It knows one key pair (S3RVER / S3RVER) and checks the access key id, not SigV4 signatures.
// It runs in a child process started with --openssl-legacy-provider: s3rver encrypts its
// ListObjectsV2 continuation tokens with DES, which Node 17+ (OpenSSL 3) refuses otherwise.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

// Started with `node -e` in the repository root; prints the port, stops when stdin closes.
const childScript = `
const S3rver = require("s3rver");
const server = new S3rver({ address: "127.0.0.1", port: 0, directory: process.argv[1], silent: true });
server.run().then(({ port }) => process.stdout.write(JSON.stringify({ port }) + "\\n"));
process.stdin.on("end", () => server.close().then(() => process.exit(0)));
process.stdin.resume();
`;

async function startServer(directory: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ["--openssl-legacy-provider", "-e", childScript, directory], {
    cwd: repoRoot,
    stdio: ["pipe", "pipe", "inherit"],
  });
  let output = "";
  child.stdout!.setEncoding("utf8");
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on("data", (chunk: string) => {
      output += chunk;
      if (output.includes("\n")) resolve((JSON.parse(output) as { port: number }).port);
    });
    child.once("exit", (code) => reject(new Error(`s3rver exited with code ${code} before listening`)));
    child.once("error", reject);
  });
  return { child, port };
}

/** A running local S3 server. */
export interface LocalS3 {
  /** e.g. http://127.0.0.1:41234 */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** A bucket created at start. */
  bucket: string;
  /** A path-style client for the server, for checks behind a store's back (closed with the server). */
  client: S3Client;
  createBucket(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts s3rver on port 0 in a temp directory and creates a bucket (3–63 characters, as S3 demands). */
export async function startLocalS3(options: { bucket?: string } = {}): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), "basalt-s3rver-"));
  const { child, port } = await startServer(directory);
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
  const client = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials });
  const createBucket = async (name: string): Promise<void> => {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  };
  const bucket = options.bucket ?? "basalt-test";
  await createBucket(bucket);
  return {
    endpoint,
    region: "us-east-1",
    ...credentials,
    bucket,
    client,
    createBucket,
    async close() {
      client.destroy();
      const exited = once(child, "exit");
      child.stdin!.end();
      await exited;
      await rm(directory, { recursive: true, force: true });
    },
  };
}
