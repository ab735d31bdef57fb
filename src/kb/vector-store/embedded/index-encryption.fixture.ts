// Test support: the encryption an embedded index gets in the server (envelope keys under a local
// master key file), over a directory of the test's own, so a test can also disable the key.
// Processes that open the same `keyDir` share the keys (the crash test's writer does).
import { join } from "node:path";
import { EnvelopeEncryption } from "../../../store/crypto/envelope-encryption.ts";
import { FileWrappedKeyStore } from "../../../store/crypto/file-wrapped-key-store.ts";
import { LocalKeyProvider } from "../../../store/crypto/local-key-provider.ts";
import type { IndexEncryption } from "./index-encryption.ts";

/** The account test indexes belong to. */
export const TEST_ACCOUNT = "123456789012";

/** Envelope encryption over `keyDir` (created when empty), and its key provider. */
export async function testEncryption(keyDir: string): Promise<{ encryption: EnvelopeEncryption; keys: LocalKeyProvider }> {
  const keys = await LocalKeyProvider.open({ path: join(keyDir, "master.key") });
  return { encryption: new EnvelopeEncryption({ keys, store: new FileWrappedKeyStore(join(keyDir, "keys")) }), keys };
}

/** What `openEmbeddedIndex` takes to encrypt the index named `name` for {@link TEST_ACCOUNT}. */
export function indexEncryption(encryption: EnvelopeEncryption, name = "test-index"): IndexEncryption {
  return { encryption, accountId: TEST_ACCOUNT, resource: `basalt:test/${name}/vector-index` };
}
