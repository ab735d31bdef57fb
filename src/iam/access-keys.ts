// Access key pairs for SigV4, shaped like AWS's (20-character id, 40-character secret) so
// tools that check the shape accept them. SigV4 is an HMAC, so the server needs the secret
// itself: the store must keep it encrypted at rest, never hashed.
import { randomBytes } from "node:crypto";

/** Basalt access key ids start with this (AWS's long-term keys use AKIA). */
export const ACCESS_KEY_ID_PREFIX = "BKIA";

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** A new access key pair; the secret is shown once. */
export interface AccessKeyPair {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Generates an access key pair with 80 bits of id and 240 bits of secret. */
export function generateAccessKeyPair(): AccessKeyPair {
  const idBytes = randomBytes(16);
  let id = ACCESS_KEY_ID_PREFIX;
  for (let i = 0; i < 16; i++) id += ID_ALPHABET[idBytes[i]! & 31];
  return { accessKeyId: id, secretAccessKey: randomBytes(30).toString("base64") };
}
