// Choosing the master-key provider from the configuration (`encryption.keyProvider`): the key
// file by default or at a given path, a PKCS#11 token on a real SoftHSM2 token (skipped, with
// the reason, without it), validation errors that name the exact path, and a PIN that never
// shows in an error.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createSoftHsmToken, SOFTHSM_SKIP_REASON } from "../../../test/helpers/softhsm.ts";
import { ConfigError, parseConfig } from "../../config/loader.ts";
import { BasaltError } from "../../spec/errors.ts";
import { masterKeyFile, openEncryption, openKeyProvider } from "./open-encryption.ts";
import { Pkcs11KeyProvider } from "./pkcs11-key-provider.ts";

const token = SOFTHSM_SKIP_REASON ? undefined : createSoftHsmToken();

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "basalt-open-enc-"));
  dirs.push(dir);
  return dir;
}

function configError(raw: unknown): string {
  try {
    parseConfig(raw);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail("the configuration was accepted");
}

describe("encryption.keyProvider", () => {
  it("defaults to the key file in the data directory, or the path given", async () => {
    const dataDir = await tempDir();
    const config = parseConfig({ dataDir });
    assert.deepEqual(config.encryption, { keyProvider: { type: "file" } });
    assert.equal(masterKeyFile({ dataDir, keyProvider: config.encryption.keyProvider }), join(dataDir, "master.key"));
    const elsewhere = join(await tempDir(), "keys", "basalt.key");
    const custom = parseConfig({ dataDir, encryption: { keyProvider: { type: "file", path: elsewhere } } });
    const encryption = await openEncryption({ dataDir, keyProvider: custom.encryption.keyProvider });
    try {
      assert.equal((await encryption.decrypt("acct", await encryption.encrypt("acct", "x", "c"), "c")).toString(), "x");
    } finally {
      encryption.close();
    }
    assert.ok(existsSync(elsewhere));
    assert.ok(!existsSync(join(dataDir, "master.key")));
  });

  it("rejects invalid provider settings with the exact path", () => {
    const pkcs11 = { type: "pkcs11", module: "/usr/lib/softhsm/libsofthsm2.so", tokenLabel: "hsm", pin: "env::HSM_PIN" };
    const cases: [unknown, RegExp][] = [
      [{ type: "kms" }, /encryption\.keyProvider\.type: /],
      [{ ...pkcs11, pin: "1234" }, /encryption\.keyProvider\.pin: must be a secret reference/],
      [{ ...pkcs11, pin: undefined }, /encryption\.keyProvider\.pin: /],
      [{ ...pkcs11, module: "" }, /encryption\.keyProvider\.module: /],
      [{ ...pkcs11, slot: 3 }, /encryption\.keyProvider\.tokenLabel: name the token by exactly one of tokenLabel or slot/],
      [{ ...pkcs11, tokenLabel: undefined }, /encryption\.keyProvider\.tokenLabel: name the token by exactly one/],
      [{ ...pkcs11, tokenLabel: "x".repeat(33) }, /encryption\.keyProvider\.tokenLabel: /],
      [{ ...pkcs11, keyLabelPrefix: "a/b" }, /encryption\.keyProvider\.keyLabelPrefix: must be 1-64 letters/],
      [{ ...pkcs11, stateCacheMs: -1 }, /encryption\.keyProvider\.stateCacheMs: /],
      [{ ...pkcs11, serial: "x" }, /encryption\.keyProvider: .*serial/],
      [{ type: "file", path: "" }, /encryption\.keyProvider\.path: /],
    ];
    for (const [keyProvider, problem] of cases) assert.match(configError({ encryption: { keyProvider } }), problem, JSON.stringify(keyProvider));
    assert.match(configError({ encryption: { provider: "file" } }), /encryption: .*provider/);
    const parsed = parseConfig({ encryption: { keyProvider: pkcs11 } });
    assert.deepEqual(parsed.encryption.keyProvider, { ...pkcs11, keyLabelPrefix: "basalt-master", stateCacheMs: 1000 });
  });

  it("says which secret reference is missing, never a value", async () => {
    const dataDir = await tempDir();
    const { encryption } = parseConfig({ encryption: { keyProvider: { type: "pkcs11", module: "/nonexistent.so", tokenLabel: "hsm", pin: "env::BASALT_TEST_UNSET_PIN" } } });
    await assert.rejects(openKeyProvider({ dataDir, keyProvider: encryption.keyProvider }), (error: unknown) => {
      assert.ok(error instanceof BasaltError && error.code === "KEY_UNAVAILABLE");
      assert.match(error.message, /encryption\.keyProvider\.pin.*env::BASALT_TEST_UNSET_PIN is not set/);
      return true;
    });
  });

  it("opens a PKCS#11 token the configuration names, and closes its session with the encryption", { skip: SOFTHSM_SKIP_REASON }, async () => {
    const dataDir = await tempDir();
    process.env.BASALT_TEST_HSM_PIN = token!.pin;
    const keyProvider = parseConfig({
      encryption: { keyProvider: { type: "pkcs11", module: token!.module, tokenLabel: token!.tokenLabel, pin: "env::BASALT_TEST_HSM_PIN", keyLabelPrefix: "open-enc" } },
    }).encryption.keyProvider;
    assert.equal(masterKeyFile({ dataDir, keyProvider }), undefined);
    const opened = await openKeyProvider({ dataDir, keyProvider });
    assert.ok(opened.keys instanceof Pkcs11KeyProvider);
    const keyId = await opened.keys.primaryKeyId();
    opened.close();
    const encryption = await openEncryption({ dataDir, keyProvider });
    const sealed = await encryption.encrypt("acct", "in the token's care", "ctx");
    encryption.close();
    await assert.rejects(encryption.decrypt("acct", sealed, "ctx"), /closed/);
    const again = await openEncryption({ dataDir, keyProvider });
    try {
      assert.equal((await again.decrypt("acct", sealed, "ctx")).toString(), "in the token's care");
      assert.ok(!existsSync(join(dataDir, "master.key")), "no key file is made for a token");
    } finally {
      again.close();
    }
    const reopened = await openKeyProvider({ dataDir, keyProvider });
    assert.equal(await reopened.keys.primaryKeyId(), keyId);
    reopened.close();
  });
});
