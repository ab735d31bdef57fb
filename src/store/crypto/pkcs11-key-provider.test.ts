// The PKCS#11 key provider against a real SoftHSM2 token this file creates: the shared
// conformance suite (test/conformance/key-provider.ts), plus what only a token has: material
// that cannot be read out, states the token itself enforces, a session lost and recovered,
// and login failures that never show the PIN. Skipped, with the reason, without SoftHSM2.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import pkcs11js from "pkcs11js";
import { keyProviderConformance } from "../../../test/conformance/key-provider.ts";
import { createSoftHsmToken, SOFTHSM_SKIP_REASON, type SoftHsmToken } from "../../../test/helpers/softhsm.ts";
import { BasaltError } from "../../spec/errors.ts";
import { Pkcs11KeyProvider, type Pkcs11KeyProviderOptions } from "./pkcs11-key-provider.ts";
import { acquireModule, ckrName, releaseModule, slotNumber, type Pkcs11, type Pkcs11Handle } from "./pkcs11-session.ts";
import { findObjects } from "./pkcs11-token-layout.ts";

const token: SoftHsmToken | undefined = SOFTHSM_SKIP_REASON ? undefined : createSoftHsmToken();

let prefixes = 0;
/** A label prefix no other case uses, so each case starts with an empty key set. */
const freshPrefix = () => `t${++prefixes}-${randomBytes(3).toString("hex")}`;

function options(extra: Partial<Pkcs11KeyProviderOptions> = {}): Pkcs11KeyProviderOptions {
  return { module: token!.module, tokenLabel: token!.tokenLabel, pin: token!.pin, stateCacheMs: 0, ...extra };
}

const unavailable = (error: unknown) => error instanceof BasaltError && error.code === "KEY_UNAVAILABLE";

/** Every message, cause message and stack of an error chain. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) parts.push(e.message, String(e.stack));
  return parts.join("\n");
}

/** A session of our own on the test token, as an administrator's tool (or an intruder) would hold one. */
async function withRawSession<T>(fn: (pkcs11: Pkcs11, session: Pkcs11Handle, slot: Pkcs11Handle) => T | Promise<T>): Promise<T> {
  const pkcs11 = acquireModule(token!.module);
  try {
    const slot = pkcs11.C_GetSlotList(true).find((s) => pkcs11.C_GetTokenInfo(s).label.trimEnd() === token!.tokenLabel)!;
    const session = pkcs11.C_OpenSession(slot, pkcs11js.CKF_RW_SESSION | pkcs11js.CKF_SERIAL_SESSION);
    try {
      try {
        pkcs11.C_Login(session, pkcs11js.CKU_USER, token!.pin);
      } catch (error) {
        if (ckrName(error) !== "CKR_USER_ALREADY_LOGGED_IN") throw error;
      }
      return await fn(pkcs11, session, slot);
    } finally {
      try {
        pkcs11.C_CloseSession(session);
      } catch {
        // Closed by the test itself (C_CloseAllSessions).
      }
    }
  } finally {
    releaseModule(token!.module);
  }
}

function keyObject(pkcs11: Pkcs11, session: Pkcs11Handle, label: string): Pkcs11Handle {
  const found = findObjects(pkcs11, session, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_LABEL, value: label },
  ]);
  assert.equal(found.length, 1, label);
  return found[0]!;
}

describe("Pkcs11KeyProvider on SoftHSM2", { skip: SOFTHSM_SKIP_REASON }, () => {
  describe("conformance", () => {
    keyProviderConformance({
      async open() {
        const keyLabelPrefix = freshPrefix();
        const opened: Pkcs11KeyProvider[] = [];
        const open = async (extra: Partial<Pkcs11KeyProviderOptions> = {}) => {
          const provider = await Pkcs11KeyProvider.open(options({ keyLabelPrefix, ...extra }));
          opened.push(provider);
          return provider;
        };
        return {
          keys: await open(),
          reopen: (extra = {}) => open(extra),
          close: async () => opened.forEach((p) => p.close()),
        };
      },
    });
  });

  it("keeps the material inside the token: sensitive, never extractable, records without material", async () => {
    const keyLabelPrefix = freshPrefix();
    const provider = await Pkcs11KeyProvider.open(options({ keyLabelPrefix }));
    try {
      const keyId = await provider.primaryKeyId();
      await provider.rotate(keyId);
      await withRawSession((pkcs11, session) => {
        for (const version of [1, 2]) {
          const handle = keyObject(pkcs11, session, `${keyLabelPrefix}/${keyId}/v${version}`);
          const attrs = pkcs11.C_GetAttributeValue(session, handle, [
            { type: pkcs11js.CKA_SENSITIVE },
            { type: pkcs11js.CKA_EXTRACTABLE },
            { type: pkcs11js.CKA_ALWAYS_SENSITIVE },
            { type: pkcs11js.CKA_NEVER_EXTRACTABLE },
            { type: pkcs11js.CKA_TOKEN },
            { type: pkcs11js.CKA_PRIVATE },
            { type: pkcs11js.CKA_VALUE_LEN },
            { type: pkcs11js.CKA_ID },
          ]);
          assert.deepEqual(attrs.slice(0, 6).map((a) => a.value[0]), [1, 0, 1, 1, 1, 1], "sensitive, not extractable, always sensitive, never extractable, token, private");
          assert.equal(slotNumber(attrs[6]!.value), 32, "AES-256"); // a native CK_ULONG, read like a slot id
          assert.equal(attrs[7]!.value.toString(), `${keyLabelPrefix}/${keyId}`);
          assert.throws(() => pkcs11.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_VALUE }]), (e: unknown) => ckrName(e) === "CKR_ATTRIBUTE_SENSITIVE");
        }
        const records = findObjects(pkcs11, session, [
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA },
          { type: pkcs11js.CKA_APPLICATION, value: keyLabelPrefix },
        ]).map((h) => pkcs11.C_GetAttributeValue(session, h, [{ type: pkcs11js.CKA_LABEL }, { type: pkcs11js.CKA_VALUE }, { type: pkcs11js.CKA_PRIVATE }]));
        const byLabel = new Map(records.map(([label, value, priv]) => [label!.value.toString(), { value: JSON.parse(value!.value.toString()), private: priv!.value[0] }]));
        assert.deepEqual([...byLabel.keys()].sort(), [`${keyLabelPrefix}/${keyId}/state`, `${keyLabelPrefix}/primary`].sort());
        assert.deepEqual(byLabel.get(`${keyLabelPrefix}/primary`), { value: { format: 1, keyId, generation: 1 }, private: 1 });
        const state = byLabel.get(`${keyLabelPrefix}/${keyId}/state`)!;
        assert.deepEqual(Object.keys(state.value).sort(), ["createdAt", "format", "generation", "keyId", "state"]);
        assert.equal(state.private, 1, "only a logged-in user sees the records");
      });
    } finally {
      provider.close();
    }
  });

  it("a disabled key is refused by the token itself; a permission turned off behind Basalt's back fails closed", async () => {
    const keyLabelPrefix = freshPrefix();
    const provider = await Pkcs11KeyProvider.open(options({ keyLabelPrefix }));
    try {
      const keyId = await provider.primaryKeyId();
      const label = `${keyLabelPrefix}/${keyId}/v1`;
      const wrapped = await provider.wrap(keyId, Buffer.alloc(32, 3), {});
      await provider.disableKey(keyId);
      const gcm = { mechanism: pkcs11js.CKM_AES_GCM, parameter: { type: pkcs11js.CK_PARAMS_AES_GCM, iv: randomBytes(12), ivBits: 96, tagBits: 128 } as pkcs11js.IParams };
      await withRawSession((pkcs11, session) => {
        // Another program holding the PIN cannot use the key either while it is disabled.
        const handle = keyObject(pkcs11, session, label);
        assert.throws(() => pkcs11.C_EncryptInit(session, gcm, handle), (e: unknown) => ckrName(e) === "CKR_KEY_FUNCTION_NOT_PERMITTED");
        assert.throws(() => pkcs11.C_DecryptInit(session, gcm, handle), (e: unknown) => ckrName(e) === "CKR_KEY_FUNCTION_NOT_PERMITTED");
      });
      await provider.enableKey(keyId);
      assert.deepEqual(await provider.unwrap(keyId, wrapped, {}), Buffer.alloc(32, 3));
      // The record says ENABLED but the token says no (a disable cut short, or an administrator's tool).
      await withRawSession((pkcs11, session) => {
        pkcs11.C_SetAttributeValue(session, keyObject(pkcs11, session, label), [{ type: pkcs11js.CKA_DECRYPT, value: false }]);
      });
      await assert.rejects(provider.unwrap(keyId, wrapped, {}), (e: unknown) => unavailable(e) && /refuses to use master key .* basalt keys enable/.test((e as Error).message));
      await provider.enableKey(keyId);
      assert.deepEqual(await provider.unwrap(keyId, wrapped, {}), Buffer.alloc(32, 3));
    } finally {
      provider.close();
    }
  });

  it("logs in again after a logout and reopens a session the token closed", async () => {
    const provider = await Pkcs11KeyProvider.open(options({ keyLabelPrefix: freshPrefix() }));
    try {
      const keyId = await provider.primaryKeyId();
      const wrapped = await provider.wrap(keyId, Buffer.alloc(32, 9), { k: "v" });
      // The login belongs to the process: a logout in any session logs every session out.
      await withRawSession((pkcs11, session) => pkcs11.C_Logout(session));
      assert.deepEqual(await provider.unwrap(keyId, wrapped, { k: "v" }), Buffer.alloc(32, 9));
      await withRawSession((pkcs11, _session, slot) => pkcs11.C_CloseAllSessions(slot));
      assert.deepEqual(await provider.unwrap(keyId, wrapped, { k: "v" }), Buffer.alloc(32, 9));
      assert.equal((await provider.describe(keyId)).state, "ENABLED");
      await withRawSession((pkcs11, _session, slot) => pkcs11.C_CloseAllSessions(slot));
      await provider.disableKey(keyId);
      assert.equal((await provider.describe(keyId)).state, "DISABLED");
    } finally {
      provider.close();
    }
    await assert.rejects(provider.describe("x"), /closed/);
  });

  it("closing lets a call in flight finish; calls after it fail closed", async () => {
    const keyLabelPrefix = freshPrefix();
    const provider = await Pkcs11KeyProvider.open(options({ keyLabelPrefix }));
    const keyId = await provider.primaryKeyId();
    const calls = Array.from({ length: 8 }, (_, i) => provider.wrap(keyId, Buffer.alloc(32, i), {}).then((w) => ({ w }), (e: Error) => ({ e })));
    await new Promise((resolve) => setImmediate(resolve)); // the first wrap is now running in the token
    provider.close();
    const outcomes = await Promise.all(calls);
    assert.ok(outcomes.every((o) => ("w" in o ? o.w.length === 1 + 4 + 12 + 32 + 16 : /session to token "basalt-test" is closed/.test(o.e.message))), JSON.stringify(outcomes.map((o) => ("w" in o ? "wrapped" : o.e.message))));
    await assert.rejects(provider.wrap(keyId, Buffer.alloc(32), {}), /closed/);
    const again = await Pkcs11KeyProvider.open(options({ keyLabelPrefix }));
    const done = outcomes.flatMap((o, i) => ("w" in o ? [{ w: o.w, i }] : []));
    for (const { w, i } of done) assert.deepEqual(await again.unwrap(keyId, w, {}), Buffer.alloc(32, i));
    again.close();
  });

  it("finds the token by slot id as well as by label; several providers share the library until the last closes", async () => {
    const slot = await withRawSession((pkcs11, _session, s) => slotNumber(s));
    const keyLabelPrefix = freshPrefix();
    const bySlot = await Pkcs11KeyProvider.open({ module: token!.module, slot, pin: token!.pin, keyLabelPrefix });
    const byLabel = await Pkcs11KeyProvider.open(options({ keyLabelPrefix }));
    const keyId = await bySlot.primaryKeyId();
    assert.equal(await byLabel.primaryKeyId(), keyId);
    bySlot.close();
    assert.equal((await byLabel.describe(keyId)).state, "ENABLED", "closing one provider leaves the other logged in");
    byLabel.close();
    const again = await Pkcs11KeyProvider.open(options({ keyLabelPrefix }));
    assert.equal(await again.primaryKeyId(), keyId, "the library initializes again after the last close");
    again.close();
  });

  it("reports a wrong PIN, an unknown token or module clearly, never with the PIN", async () => {
    const wrongPin = "86420975";
    const refused = await Pkcs11KeyProvider.open(options({ pin: wrongPin })).then(() => undefined, (e: unknown) => e);
    assert.ok(unavailable(refused));
    assert.match((refused as Error).message, /Logging in to the PKCS#11 token "basalt-test" failed \(CKR_PIN_INCORRECT\); check the secret/);
    assert.ok(!errorText(refused).includes(wrongPin), "the PIN leaked into the error");
    await assert.rejects(Pkcs11KeyProvider.open(options({ tokenLabel: "no-such-token" })), (e: unknown) => unavailable(e) && /token "no-such-token" was not found/.test((e as Error).message) && !errorText(e).includes(token!.pin));
    await assert.rejects(Pkcs11KeyProvider.open(options({ module: "/nonexistent/libpkcs11.so" })), /module \/nonexistent\/libpkcs11.so could not be loaded/);
    // The failures released what they acquired: a good open still works.
    const provider = await Pkcs11KeyProvider.open(options({ keyLabelPrefix: freshPrefix() }));
    provider.close();
  });

  it("starting several providers at once on an empty prefix agrees on one primary key", async () => {
    const keyLabelPrefix = freshPrefix();
    const providers = await Promise.all(Array.from({ length: 4 }, () => Pkcs11KeyProvider.open(options({ keyLabelPrefix }))));
    try {
      const ids = new Set(await Promise.all(providers.map((p) => p.primaryKeyId())));
      assert.equal(ids.size, 1);
    } finally {
      providers.forEach((p) => p.close());
    }
  });
});
