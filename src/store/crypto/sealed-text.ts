// Envelope ciphertext where only text fits: a TEXT column or a line of a text file. A sealed
// value is `bslt:` followed by the ciphertext in base64, so it is recognisable as sealed and
// can never be mistaken for JSON (which never starts with `b`) or a line of JSON Lines.
import { integrityFailure } from "./crypto-errors.ts";
import type { EnvelopeEncryption } from "./envelope-encryption.ts";

/** How every sealed text value starts. */
export const SEALED_TEXT_PREFIX = "bslt:";

/** Whether a stored text value is sealed (it may still fail to open). */
export function isSealedText(value: string): boolean {
  return value.startsWith(SEALED_TEXT_PREFIX);
}

/** Encrypts `plaintext` for the account, bound to `context`, as one line of text. */
export async function sealText(encryption: EnvelopeEncryption, options: { accountId: string; context: string; plaintext: string }): Promise<string> {
  const sealed = await encryption.encrypt(options.accountId, options.plaintext, options.context);
  return SEALED_TEXT_PREFIX + sealed.toString("base64");
}

/** Decrypts what {@link sealText} wrote for the same account and context; anything else is an integrity failure. */
export async function openText(encryption: EnvelopeEncryption, options: { accountId: string; context: string; sealed: string }): Promise<string> {
  // Never read an unsealed value as plaintext: that is the fail-open path.
  if (!isSealedText(options.sealed)) throw integrityFailure("it is not in Basalt's encrypted format.");
  const bytes = Buffer.from(options.sealed.slice(SEALED_TEXT_PREFIX.length), "base64");
  return (await encryption.decrypt(options.accountId, bytes, options.context)).toString("utf8");
}
