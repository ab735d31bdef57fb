// Chunk ids (`<documentId>#3`) become the table's uuid primary key by an RFC 9562 version-5
// (SHA-1, name-based) uuid: deterministic, so an upsert of the same chunk replaces its row and
// a resumed sync cannot duplicate it, with no lookup table. The readable id is kept in the
// row's metadata, so nothing needs reversing.
import { createHash } from "node:crypto";

/** Basalt's namespace for chunk uuids (a fixed random uuid; changing it orphans every row). */
export const CHUNK_ID_NAMESPACE = "4b7f3c1e-9a52-4c8e-b6d1-2f0e5a9c7d43";

const NAMESPACE_BYTES = Buffer.from(CHUNK_ID_NAMESPACE.replaceAll("-", ""), "hex");

/** The uuid v5 of a name in a namespace given as 16 bytes. */
export function uuidV5(name: string, namespace: Buffer = NAMESPACE_BYTES): string {
  const hash = createHash("sha1").update(namespace).update(name, "utf8").digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50; // version 5
  hash[8] = (hash[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The primary key of a chunk id. */
export function chunkUuid(chunkId: string): string {
  return uuidV5(chunkId);
}
