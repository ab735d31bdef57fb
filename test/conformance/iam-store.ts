// The IAM store's conformance suite, run on every engine: accounts, principals, credentials
// (secrets encrypted, API keys hashed), policies and attachments, model access, and the rule
// that every lookup by name or id stays inside its account.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { ApiKeyVerifier } from "../../src/iam/api-keys.ts";
import { IamStore } from "../../src/iam/store/iam-store.ts";
import type { Account } from "../../src/iam/store/records.ts";
import { BasaltError } from "../../src/spec/errors.ts";
import type { EnvelopeEncryption } from "../../src/store/crypto/envelope-encryption.ts";
import { openEncryption } from "../../src/store/crypto/open-encryption.ts";
import type { Database } from "../../src/store/db/database.ts";
import { migrate } from "../../src/store/db/migrate.ts";
import { openDatabase } from "../../src/store/db/open-database.ts";
import type { EngineTarget } from "./engines.ts";

const isCode = (code: BasaltError["code"]) => (error: unknown) => error instanceof BasaltError && error.code === code;
const DOC = { Version: "2012-10-17", Statement: [{ Sid: "A", Effect: "Allow", Action: "bedrock:InvokeModel", Resource: "*" }] };

/** Registers the IAM store cases in the current describe block. */
export function iamStoreConformance(target: EngineTarget): void {
  let db: Database;
  let encryption: EnvelopeEncryption;
  let store: IamStore;
  let a: Account;
  let b: Account;
  const keyDir = mkdtempSync(join(tmpdir(), "basalt-iam-keys-"));

  before(async () => {
    db = openDatabase({ url: target.url() });
    await migrate(db);
    encryption = await openEncryption({ dataDir: keyDir });
    store = new IamStore({ db, encryption });
    a = await store.createAccount({ name: "a", defaultModelAccess: "enabled" });
    b = await store.createAccount({ name: "b", defaultModelAccess: "disabled" });
  });
  after(async () => {
    encryption.close();
    await db.close();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it("creates accounts with 12-digit ids; creating a given id twice returns the first", async () => {
    assert.match(a.id, /^\d{12}$/);
    assert.notEqual(a.id, b.id);
    const first = await store.createAccount({ id: "000000000000", name: "default", defaultModelAccess: "enabled" });
    const again = await store.createAccount({ id: "000000000000", name: "renamed", defaultModelAccess: "disabled" });
    assert.deepEqual([again.name, again.defaultModelAccess], [first.name, "enabled"]);
    await assert.rejects(store.getAccount("123123123123"), isCode("NOT_FOUND"));
    assert.ok((await store.listAccounts()).some((x) => x.id === b.id));
  });

  it("keeps user and role names unique per account and type, and finds them only in their account", async () => {
    const user = await store.createPrincipal(a.id, "user", "dana");
    assert.match(user.id, /^AIDA[A-Z2-7]{16}$/);
    assert.equal(user.arn, `arn:aws:iam::${a.id}:user/dana`);
    await assert.rejects(store.createPrincipal(a.id, "user", "dana"), isCode("CONFLICT"));
    const role = await store.createPrincipal(a.id, "role", "dana");
    assert.match(role.id, /^AROA/);
    await store.createPrincipal(b.id, "user", "dana");
    await assert.rejects(store.createPrincipal(a.id, "user", "bad name!"), isCode("VALIDATION"));
    assert.equal(await store.findPrincipalById(b.id, user.id), undefined, "another account's id finds nothing");
    assert.equal((await store.findPrincipalById(a.id, user.id))?.name, "dana");
    await assert.rejects(store.getPrincipal(b.id, "role", "dana"), isCode("NOT_FOUND"));
    assert.deepEqual((await store.listPrincipals(a.id, "user")).map((p) => p.name), ["dana"]);
  });

  it("stores access key secrets encrypted, and gives them back only for active keys", async () => {
    const user = await store.getPrincipal(a.id, "user", "dana");
    const pair = await store.createAccessKey(user);
    const [row] = await db.query<{ secret_ciphertext: Uint8Array }>("SELECT secret_ciphertext FROM iam_access_keys WHERE id = $1", [pair.accessKeyId]);
    assert.ok(!Buffer.from(row!.secret_ciphertext).includes(Buffer.from(pair.secretAccessKey)), "never in clear");
    const found = await store.accessKeySecret(pair.accessKeyId);
    assert.equal(found?.secret, pair.secretAccessKey);
    assert.deepEqual([found?.key.accountId, found?.key.principalId], [a.id, user.id]);
    assert.equal(await store.accessKeySecret("BKIAUNKNOWNUNKNOWN00"), undefined);
    await db.execute("UPDATE iam_access_keys SET status = 'Inactive' WHERE id = $1", [pair.accessKeyId]);
    assert.equal(await store.accessKeySecret(pair.accessKeyId), undefined, "an inactive key authenticates nothing");
    assert.deepEqual((await store.listAccessKeys(user)).map((k) => k.status), ["Inactive"]);
  });

  it("stores API keys as hashes under the account's pepper, verifiable by the bearer verifier", async () => {
    const user = await store.getPrincipal(a.id, "user", "dana");
    const issued = await store.createApiKey(user, { expiresAt: Date.now() + 60_000 });
    const [row] = await db.query<{ hash: string }>("SELECT hash FROM iam_api_keys WHERE id = $1", [issued.id]);
    assert.ok(!row!.hash.includes(issued.key) && row!.hash.startsWith("v1$"));
    const found = await store.apiKeyForAuth(issued.key);
    assert.ok(found);
    const verifier = new ApiKeyVerifier({ pepper: found.pepper, lookup: () => found.info });
    assert.deepEqual(await verifier.verify({ authorization: `Bearer ${issued.key}` }), { ok: true, keyId: issued.id });
    assert.equal(await store.apiKeyForAuth("basalt_not_a_key"), undefined);
    assert.ok(await store.hasCredentials());
  });

  it("validates, versions and attaches policies within one account", async () => {
    const user = await store.getPrincipal(a.id, "user", "dana");
    await assert.rejects(store.putPolicy(a.id, "broken", { Version: "2008-10-17", Statement: [] }), isCode("VALIDATION"));
    const first = await store.putPolicy(a.id, "invoke", DOC);
    assert.equal(first.policy.version, 1);
    const second = await store.putPolicy(a.id, "invoke", JSON.stringify({ ...DOC, Id: "v2" }));
    assert.deepEqual([second.policy.version, second.policy.id], [2, first.policy.id]);
    await store.attachPolicy(user, "invoke");
    await store.attachPolicy(user, "invoke"); // idempotent
    const attached = await store.policiesOf(user);
    assert.deepEqual(attached.map((p) => [p.name, p.version, JSON.parse(p.document).Id]), [["invoke", 2, "v2"]]);
    const other = await store.getPrincipal(b.id, "user", "dana");
    await assert.rejects(store.attachPolicy(other, "invoke"), isCode("NOT_FOUND"), "account b cannot use a's policy");
    await assert.rejects(store.getPolicy(b.id, "invoke"), isCode("NOT_FOUND"));
    assert.deepEqual(await store.policiesOf(other), []);
  });

  it("keeps model access per account, with each account's default and a fallback for unknown accounts", async () => {
    await store.setModelAccess(a.id, "m1", false);
    await store.setModelAccess(b.id, "m2", true);
    const ofA = await store.modelAccess(a.id, "disabled");
    assert.equal(ofA.defaultEnabled, true);
    assert.deepEqual([...ofA.overrides], [["m1", false]]);
    const ofB = await store.modelAccess(b.id, "enabled");
    assert.equal(ofB.defaultEnabled, false);
    assert.deepEqual([...ofB.overrides], [["m2", true]]);
    await store.setModelAccess(a.id, "m1", true);
    assert.deepEqual([...(await store.modelAccess(a.id, "enabled")).overrides], [["m1", true]]);
    const unknown = await store.modelAccess("555555555555", "disabled");
    assert.deepEqual([unknown.defaultEnabled, unknown.overrides.size], [false, 0]);
    await assert.rejects(store.setModelAccess("555555555555", "m1", true), isCode("NOT_FOUND"));
  });
}
