// Bearer API keys: format, storage form, constant-time verification, expiry.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateAccessKeyPair } from "./access-keys.ts";
import { ApiKeyVerifier, generateApiKey, hashApiKey, parseApiKey, verifyApiKeyHash, type ApiKeyRecord } from "./api-keys.ts";

const PEPPER = "pepper-for-tests-0123456789abcdef";

describe("API keys", () => {
  it("generates recognisable keys with an id and a display prefix, stored only as a salted hash", () => {
    const a = generateApiKey(PEPPER);
    const b = generateApiKey(PEPPER);
    assert.match(a.key, /^basalt_[a-z2-7]{12}_[A-Za-z0-9_-]{49}$/);
    assert.equal(a.displayPrefix, `basalt_${a.id}_…`);
    assert.notEqual(a.key, b.key);
    assert.notEqual(a.id, b.id);
    assert.ok(!a.hash.includes(a.key.slice(20)), "the storage form does not contain the secret");
    assert.match(a.hash, /^v1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]{43}$/);
    // The same key hashes differently under a fresh salt; both verify.
    const again = hashApiKey(a.key, PEPPER);
    assert.notEqual(again, a.hash);
    assert.equal(verifyApiKeyHash(a.key, again, PEPPER), true);
  });

  it("verifies only the right key under the right pepper", () => {
    const issued = generateApiKey(PEPPER);
    assert.equal(verifyApiKeyHash(issued.key, issued.hash, PEPPER), true);
    assert.equal(verifyApiKeyHash(generateApiKey(PEPPER).key, issued.hash, PEPPER), false);
    assert.equal(verifyApiKeyHash(issued.key, issued.hash, "another-pepper-0123456789abcdef"), false);
    assert.equal(verifyApiKeyHash(issued.key, "garbage", PEPPER), false);
  });

  it("rejects typos through the check characters before any lookup", () => {
    const { key, id } = generateApiKey(PEPPER);
    assert.deepEqual(parseApiKey(key), { id });
    const last = key.at(-1) === "A" ? "B" : "A";
    assert.equal(parseApiKey(key.slice(0, -1) + last), undefined);
    assert.equal(parseApiKey("sk-openai-style"), undefined);
  });

  it("refuses a short pepper", () => {
    assert.throws(() => generateApiKey("short"), /at least 16 bytes/);
  });

  it("authenticates bearer headers and answers with AWS's error names", async () => {
    const good = generateApiKey(PEPPER);
    const expired = generateApiKey(PEPPER);
    const records = new Map<string, ApiKeyRecord>([
      [good.id, { id: good.id, hash: good.hash }],
      [expired.id, { id: expired.id, hash: expired.hash, expiresAt: 1000 }],
    ]);
    let lookups = 0;
    const verifier = new ApiKeyVerifier({ pepper: PEPPER, now: () => 2000, lookup: (id) => (lookups++, records.get(id)) });
    assert.deepEqual(await verifier.verify({ authorization: `Bearer ${good.key}` }), { ok: true, keyId: good.id });
    assert.deepEqual(await verifier.verify({ authorization: `bearer  ${good.key}` }), { ok: true, keyId: good.id });

    const cases: Array<[string | undefined, string, string]> = [
      [undefined, "missing", "MissingAuthenticationTokenException"],
      [`Bearer ${generateApiKey(PEPPER).key}`, "unknown-key", "UnrecognizedClientException"],
      [`Bearer ${good.key.slice(0, 20)}${"x".repeat(good.key.length - 20)}`, "malformed", "UnrecognizedClientException"],
      ["Bearer not-a-basalt-key", "malformed", "UnrecognizedClientException"],
      [`Bearer ${expired.key}`, "key-expired", "ExpiredTokenException"],
    ];
    for (const [authorization, reason, name] of cases) {
      const result = await verifier.verify(authorization === undefined ? {} : { authorization });
      assert.equal(result.ok, false, authorization);
      if (result.ok) continue;
      assert.equal(result.reason, reason, authorization);
      assert.equal(result.error.name, name);
      assert.ok(!result.error.message.includes(good.key), "no key in messages");
    }
    assert.equal(lookups, 4, "malformed keys never reach the store");
  });

  it("detects bearer headers", () => {
    assert.equal(ApiKeyVerifier.isBearer({ authorization: "Bearer abc" }), true);
    assert.equal(ApiKeyVerifier.isBearer({ authorization: "AWS4-HMAC-SHA256 Credential=x" }), false);
    assert.equal(ApiKeyVerifier.isBearer({}), false);
  });

  it("generates AWS-shaped access key pairs", () => {
    const pair = generateAccessKeyPair();
    assert.match(pair.accessKeyId, /^BKIA[A-Z2-7]{16}$/);
    assert.equal(pair.secretAccessKey.length, 40);
    assert.notEqual(generateAccessKeyPair().secretAccessKey, pair.secretAccessKey);
  });
});
