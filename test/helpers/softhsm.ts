// A real SoftHSM2 token for tests: its own token directory and softhsm2.conf in a temporary
// folder, initialized with softhsm2-util. SoftHSM2 reads SOFTHSM2_CONF when the library is
// initialized, so the variable is set for this whole test process (and inherited by the
// `basalt` children it starts); one token per test file, each case under its own label prefix.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";

/** Where Debian, Ubuntu, Fedora and Homebrew put the SoftHSM2 library (BASALT_TEST_SOFTHSM_MODULE overrides). */
const CANDIDATES = [
  "/usr/lib/softhsm/libsofthsm2.so",
  "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
  "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
  "/usr/lib64/pkcs11/libsofthsm2.so",
  "/usr/local/lib/softhsm/libsofthsm2.so",
  "/opt/homebrew/lib/softhsm/libsofthsm2.so",
];

/** The SoftHSM2 PKCS#11 library, when installed. */
export const SOFTHSM_MODULE = (process.env.BASALT_TEST_SOFTHSM_MODULE ? [process.env.BASALT_TEST_SOFTHSM_MODULE] : CANDIDATES).find((path) => existsSync(path));

function utilAvailable(): boolean {
  try {
    execFileSync("softhsm2-util", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Why the PKCS#11 tests are skipped here, or undefined when SoftHSM2 is installed. */
export const SOFTHSM_SKIP_REASON: string | undefined = !SOFTHSM_MODULE
  ? "SoftHSM2 is not installed (no libsofthsm2.so): apt-get install softhsm2, or set BASALT_TEST_SOFTHSM_MODULE"
  : !utilAvailable()
    ? "softhsm2-util is not on PATH: apt-get install softhsm2"
    : undefined;

/** An initialized token. */
export interface SoftHsmToken {
  module: string;
  tokenLabel: string;
  /** The user PIN (a throwaway test value). */
  pin: string;
  /** The folder holding softhsm2.conf and the token directory. */
  dir: string;
}

/** Creates and initializes a token in a temporary folder, removed when the file's tests end. */
export function createSoftHsmToken(tokenLabel = "basalt-test"): SoftHsmToken {
  if (SOFTHSM_SKIP_REASON) throw new Error(SOFTHSM_SKIP_REASON);
  const dir = mkdtempSync(join(tmpdir(), "basalt-softhsm-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "tokens"));
  const conf = join(dir, "softhsm2.conf");
  writeFileSync(conf, `directories.tokendir = ${join(dir, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = conf;
  const pin = "test-pin-4e7a";
  execFileSync("softhsm2-util", ["--init-token", "--free", "--label", tokenLabel, "--pin", pin, "--so-pin", "test-so-pin-91c2"], { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: "ignore" });
  return { module: SOFTHSM_MODULE!, tokenLabel, pin, dir };
}
