// The data-key cache on a controlled clock: expiry, the size bound, and forgetting by master key.
import assert from "node:assert/strict";
import { createSecretKey, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { DataKeyCache, type CachedDataKey } from "./data-key-cache.ts";

function entry(accountId: string, version: number, masterKeyId = "mk"): CachedDataKey {
  return { accountId, version, keyId: `${accountId}-${version}`, masterKeyId, key: createSecretKey(randomBytes(32)) };
}

describe("DataKeyCache", () => {
  it("expires keys and the newest-version pointer after the TTL", () => {
    let now = 0;
    const cache = new DataKeyCache({ ttlMs: 1000, maxEntries: 10, now: () => now });
    cache.set(entry("a", 1), true);
    assert.equal(cache.getNewest("a")?.version, 1);
    now = 999;
    assert.equal(cache.get("a", 1)?.version, 1);
    now = 1000;
    assert.equal(cache.get("a", 1), undefined);
    assert.equal(cache.getNewest("a"), undefined);
  });

  it("holds at most maxEntries keys, dropping the least recently used", () => {
    const cache = new DataKeyCache({ ttlMs: 60_000, maxEntries: 2 });
    cache.set(entry("a", 1), false);
    cache.set(entry("b", 1), false);
    cache.get("a", 1);
    cache.set(entry("c", 1), false);
    assert.equal(cache.size, 2);
    assert.ok(cache.get("a", 1));
    assert.equal(cache.get("b", 1), undefined);
  });

  it("forgets every key under a master key, and caches nothing with a zero TTL", () => {
    const cache = new DataKeyCache({ ttlMs: 60_000, maxEntries: 10 });
    cache.set(entry("a", 1, "mk-1"), true);
    cache.set(entry("b", 1, "mk-2"), true);
    cache.forgetMasterKey("mk-1");
    assert.equal(cache.getNewest("a"), undefined);
    assert.ok(cache.getNewest("b"));
    const off = new DataKeyCache({ ttlMs: 0, maxEntries: 10 });
    off.set(entry("a", 1), true);
    assert.equal(off.size, 0);
  });
});
