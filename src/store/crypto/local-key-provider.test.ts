// The local key-file provider: the shared conformance suite (test/conformance/key-provider.ts),
// plus what only a key file has: creation and permissions, several processes creating it at
// once, and validation that never echoes key material.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { keyProviderConformance } from "../../../test/conformance/key-provider.ts";
import { BasaltError } from "../../spec/errors.ts";
import { LocalKeyProvider } from "./local-key-provider.ts";

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "basalt-master-"));
  dirs.push(dir);
  return dir;
}

const unavailable = (error: unknown) => error instanceof BasaltError && error.code === "KEY_UNAVAILABLE";

/** Every message and cause message of an error chain. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) parts.push(e.message, String(e.stack));
  return parts.join("\n");
}

describe("LocalKeyProvider", () => {
  it("creates a private key file with one enabled 256-bit key, and reopens it unchanged", async () => {
    const path = join(await tempDir(), "nested", "master.key");
    const provider = await LocalKeyProvider.open({ path });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(path, ".."))).mode & 0o777, 0o700);
    const file = JSON.parse(await readFile(path, "utf8"));
    assert.equal(file.format, 1);
    assert.equal(file.keys.length, 1);
    assert.equal(file.keys[0].keyId, file.primaryKeyId);
    assert.equal(file.keys[0].state, "ENABLED");
    assert.equal(Buffer.from(file.keys[0].versions[0].material, "base64").length, 32);
    const again = await LocalKeyProvider.open({ path });
    assert.equal(await again.primaryKeyId(), await provider.primaryKeyId());
    assert.deepEqual(await again.describe(file.primaryKeyId), { keyId: file.primaryKeyId, state: "ENABLED", currentVersion: 1 });
  });

  it("agrees on one key when several processes start at once on a missing file", async () => {
    const path = join(await tempDir(), "master.key");
    const opened = await Promise.all(Array.from({ length: 8 }, () => LocalKeyProvider.open({ path })));
    const ids = new Set(await Promise.all(opened.map((p) => p.primaryKeyId())));
    assert.equal(ids.size, 1);
  });

  it("rejects invalid key files with the path and problem, never the material", async () => {
    const dir = await tempDir();
    const material = randomBytes(32).toString("base64");
    const key = { keyId: "k1", state: "ENABLED", createdAt: "2025-01-01T00:00:00Z", versions: [{ version: 1, createdAt: "x", material }] };
    const cases: [string, string, RegExp][] = [
      ["not JSON", `{"keys": [${material}`, /not JSON/],
      ["wrong format", JSON.stringify({ format: 2, primaryKeyId: "k1", keys: [key] }), /"format": 1/],
      ["no keys", JSON.stringify({ format: 1, primaryKeyId: "k1", keys: [] }), /non-empty/],
      ["unknown primary", JSON.stringify({ format: 1, primaryKeyId: "k2", keys: [key] }), /primaryKeyId/],
      ["bad state", JSON.stringify({ format: 1, primaryKeyId: "k1", keys: [{ ...key, state: "ON" }] }), /state/],
      ["short material", JSON.stringify({ format: 1, primaryKeyId: "k1", keys: [{ ...key, versions: [{ version: 1, createdAt: "x", material: material.slice(0, 20) }] }] }), /32 bytes/],
      ["pending without date", JSON.stringify({ format: 1, primaryKeyId: "k1", keys: [{ ...key, state: "PENDING_DELETION" }] }), /deletionDate/],
      ["duplicate ids", JSON.stringify({ format: 1, primaryKeyId: "k1", keys: [key, key] }), /share/],
    ];
    for (const [name, text, problem] of cases) {
      const path = join(dir, `${name.replace(/ /g, "-")}.key`);
      await writeFile(path, text);
      const error = await LocalKeyProvider.open({ path }).then(() => undefined, (e: unknown) => e);
      assert.ok(unavailable(error), name);
      assert.match((error as Error).message, problem, name);
      assert.ok((error as Error).message.includes(path), name);
      assert.ok(!errorText(error).includes(material.slice(0, 20)), `${name}: material leaked into the error`);
    }
  });
});

describe("LocalKeyProvider conformance", () => {
  keyProviderConformance({
    async open() {
      const path = join(await tempDir(), "master.key");
      // No reload interval: every instance reads the file on each use, as the suite expects of "another process".
      const keys = await LocalKeyProvider.open({ path, reloadIntervalMs: 0 });
      return {
        keys,
        reopen: (options = {}) => LocalKeyProvider.open({ path, reloadIntervalMs: 0, ...options }),
        close: async () => undefined,
      };
    },
  });
});
