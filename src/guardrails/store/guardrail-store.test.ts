// Guardrail configurations encrypted at rest, on SQLite and PostgreSQL: denied topics, words and
// blocked messages holding a unique marker are not findable in the stored rows (nor, on SQLite,
// in any byte of the database's files) while the store reads them back unchanged; a sealed
// configuration moved to another version does not open; rows an earlier version stored in the
// clear are read and then sealed; a disabled master key fails reads (and the key check) closed.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, it } from "node:test";
import { describeEachEngine } from "../../../test/conformance/engines.ts";
import { BasaltError } from "../../spec/errors.ts";
import { holdsMarker, scanForMarker } from "../../store/crypto/at-rest-scan.fixture.ts";
import { EnvelopeEncryption } from "../../store/crypto/envelope-encryption.ts";
import { FileWrappedKeyStore } from "../../store/crypto/file-wrapped-key-store.ts";
import { LocalKeyProvider } from "../../store/crypto/local-key-provider.ts";
import type { Database } from "../../store/db/database.ts";
import { migrate } from "../../store/db/migrate.ts";
import { openDatabase } from "../../store/db/open-database.ts";
import { parseGuardrailConfig } from "../config/parse-config.ts";
import { GuardrailStore } from "./guardrail-store.ts";

const ACCOUNT = "111122223333";
const unavailable = (error: unknown) => error instanceof BasaltError && error.code === "KEY_UNAVAILABLE" && error.name === "AccessDeniedException";

function configWith(marker: string, name = "secrets") {
  return parseGuardrailConfig({
    name,
    description: `Keeps ${marker} private`,
    blockedInputMessaging: `Blocked: ${marker}`,
    blockedOutputsMessaging: "Sorry.",
    topicPolicyConfig: { topicsConfig: [{ name: "vault", definition: `Anything about the vault code ${marker}`, type: "DENY" }] },
    wordPolicyConfig: { wordsConfig: [{ text: marker }] },
  });
}

describeEachEngine("guardrail configurations encrypted at rest", (target) => {
  let db: Database;
  let keyDir: string;
  let keys: LocalKeyProvider;
  let encryption: EnvelopeEncryption;
  let store: GuardrailStore;
  const storedConfigs = async () => (await db.query<{ config: string }>("SELECT config FROM guardrail_versions")).map((r) => r.config);

  before(async () => {
    db = openDatabase({ url: target.url() });
    await migrate(db);
    keyDir = mkdtempSync(join(tmpdir(), "basalt-guardrail-keys-"));
    keys = await LocalKeyProvider.open({ path: join(keyDir, "master.key"), reloadIntervalMs: 0 });
    encryption = new EnvelopeEncryption({ keys, store: new FileWrappedKeyStore(join(keyDir, "keys")) });
    store = new GuardrailStore({ db, encryption });
  });
  after(async () => {
    encryption.close();
    await db.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it("seals every version's configuration, reads it back unchanged, and binds it to its version", async () => {
    const marker = `guardrail-marker-${randomUUID()}`;
    const config = configWith(marker);
    const created = await store.create(ACCOUNT, config, [{ key: "team", value: "security" }]);
    assert.deepEqual(created.config, config);
    const version = await store.createVersion(ACCOUNT, created.id, { description: "first" });
    assert.deepEqual((await store.get(ACCOUNT, created.id, version.version)).config, config);
    const updated = await store.update(ACCOUNT, created.id, { ...config, blockedOutputsMessaging: `No ${marker}` });
    assert.equal(updated.config.blockedOutputsMessaging, `No ${marker}`);
    assert.deepEqual((await store.list(ACCOUNT, { id: created.id, maxResults: 10 })).items.map((v) => v.config.blockedOutputsMessaging), [`No ${marker}`, "Sorry."]);

    const stored = await storedConfigs();
    assert.ok(stored.length >= 2 && stored.every((c) => c.startsWith("bslt:")), "every configuration is sealed");
    assert.ok(!stored.some((c) => holdsMarker(c, marker)), "no stored configuration holds the marker");
    if (target.dialect === "sqlite") {
      const url = target.url().slice("sqlite:".length);
      assert.deepEqual((await scanForMarker(dirname(url), marker)).hits, []);
    }

    // The DRAFT's ciphertext copied onto version 1 does not open there.
    await db.execute("UPDATE guardrail_versions SET config = (SELECT config FROM guardrail_versions WHERE guardrail_id = $1 AND version = 'DRAFT') WHERE guardrail_id = $1 AND version = $2", [created.id, version.version]);
    await assert.rejects(store.get(ACCOUNT, created.id, version.version), (error: unknown) => error instanceof BasaltError && error.code === "INTERNAL");
    await store.delete(ACCOUNT, created.id);
  });

  it("reads a configuration stored in the clear by an earlier version, then seals it", async () => {
    const marker = `legacy-marker-${randomUUID()}`;
    const created = await store.create(ACCOUNT, configWith("placeholder", "legacy"), []);
    const legacy = configWith(marker, "legacy");
    await db.execute("UPDATE guardrail_versions SET config = $2 WHERE guardrail_id = $1", [created.id, JSON.stringify(legacy)]);
    assert.deepEqual((await store.get(ACCOUNT, created.id)).config, legacy);
    assert.ok((await storedConfigs()).some((c) => holdsMarker(c, marker)), "the control: the row is in the clear");

    assert.equal(await store.sealPlaintextConfigs(), 1);
    assert.equal(await store.sealPlaintextConfigs(), 0);
    assert.ok(!(await storedConfigs()).some((c) => holdsMarker(c, marker)));
    assert.deepEqual((await store.get(ACCOUNT, created.id)).config, legacy);
    // Text that is neither sealed nor a JSON object is never taken for a configuration.
    await db.execute("UPDATE guardrail_versions SET config = $2 WHERE guardrail_id = $1", [created.id, "garbage"]);
    await assert.rejects(store.get(ACCOUNT, created.id), { code: "INTERNAL" });
    await store.delete(ACCOUNT, created.id);
  });

  it("fails reads and the key check closed while the master key is disabled", async () => {
    const created = await store.create(ACCOUNT, configWith("gated", "gated"), []);
    await store.assertKeyUsable(ACCOUNT);
    const primary = await keys.primaryKeyId();
    await keys.disableKey(primary);
    try {
      await assert.rejects(store.get(ACCOUNT, created.id), unavailable);
      await assert.rejects(store.list(ACCOUNT, { maxResults: 10 }), unavailable);
      await assert.rejects(store.assertKeyUsable(ACCOUNT), unavailable);
      await assert.rejects(store.create(ACCOUNT, configWith("new", "other"), []), unavailable);
    } finally {
      await keys.enableKey(primary);
    }
    assert.equal((await store.get(ACCOUNT, created.id)).config.name, "gated");
    await store.delete(ACCOUNT, created.id);
  });
});
