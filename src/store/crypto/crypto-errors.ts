// The two ways encryption fails closed. Messages name keys by id and accounts by id only;
// key material, plaintext and ciphertext bytes never go into an error.
import { BasaltError } from "../../spec/errors.ts";
import type { MasterKeyDescription } from "./key-provider.ts";

/** A key (master or data) that is disabled, pending deletion, missing or unreadable. */
export function keyUnavailable(message: string, cause?: unknown): BasaltError {
  return new BasaltError("KEY_UNAVAILABLE", message, { cause });
}

/** Stored content whose authentication failed: altered, truncated, or moved to another account or resource. */
export function integrityFailure(detail: string): BasaltError {
  // INTERNAL rather than a client code: the bytes came from our own storage, not the request.
  return new BasaltError("INTERNAL", `Stored content failed its integrity check: ${detail}`);
}

/** Throws KEY_UNAVAILABLE unless the master key is ENABLED: the fail-closed gate before every use. */
export function requireEnabled(key: MasterKeyDescription): void {
  if (key.state === "ENABLED") return;
  if (key.state === "DISABLED") {
    throw keyUnavailable(`The master key ${key.keyId} is disabled; content protected by it cannot be read or written until the key is enabled again.`);
  }
  throw keyUnavailable(
    `The master key ${key.keyId} is pending deletion (scheduled for ${key.deletionDate ?? "an unknown date"}); ` +
      "cancel the deletion and enable the key to use the content it protects.",
  );
}
