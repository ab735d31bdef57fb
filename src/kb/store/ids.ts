// Identifiers of knowledge bases and data sources: ten upper-case letters and digits, as
// Bedrock's (`^[0-9a-zA-Z]{10}$` on the wire), drawn from a CSPRNG.
import { randomInt } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** The pattern every knowledge-base, data-source and ingestion-job id in a path must match. */
export const RESOURCE_ID_PATTERN = /^[0-9a-zA-Z]{10}$/;

/** A new random id (36^10 ≈ 3.7e15 values: a collision is refused by the primary key, never merged). */
export function newResourceId(): string {
  let id = "";
  for (let i = 0; i < 10; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}
