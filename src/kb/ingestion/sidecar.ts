// Bedrock's metadata sidecars: `<file>.metadata.json` beside a document holds its filterable
// attributes, `{"metadataAttributes": {"year": 2020, "tags": ["a"], …}}`, each value plain or in
// the typed form `{"value": {"type": "STRING", "stringValue": "…"}, "includeForEmbedding": true}`.
import type { Metadata, MetadataValue } from "../vector-store/filter.ts";

/** Suffix of a sidecar's key. */
export const SIDECAR_SUFFIX = ".metadata.json";
/** Bedrock's limit on a metadata file. */
export const MAX_SIDECAR_BYTES = 10 * 1024;

/** Whether a key is a sidecar rather than a document. */
export function isSidecar(key: string): boolean {
  return key.endsWith(SIDECAR_SUFFIX);
}

/** The sidecar key of a document. */
export function sidecarKey(documentKey: string): string {
  return documentKey + SIDECAR_SUFFIX;
}

/** Why a sidecar was refused; the document fails with this reason. */
export class SidecarError extends Error {
  override name = "SidecarError";
}

/** Parsed attributes, and those to prepend to the embedded text (`includeForEmbedding`). */
export interface SidecarMetadata {
  attributes: Metadata;
  forEmbedding: string[];
}

function typedValue(name: string, value: Record<string, unknown>): MetadataValue {
  switch (value.type) {
    case "STRING":
      if (typeof value.stringValue === "string") return value.stringValue;
      break;
    case "NUMBER":
      if (typeof value.numberValue === "number" && Number.isFinite(value.numberValue)) return value.numberValue;
      break;
    case "BOOLEAN":
      if (typeof value.booleanValue === "boolean") return value.booleanValue;
      break;
    case "STRING_LIST":
      if (Array.isArray(value.stringListValue) && value.stringListValue.every((v) => typeof v === "string")) return value.stringListValue as string[];
      break;
  }
  throw new SidecarError(`metadata attribute '${name}' has an invalid typed value (type must be STRING, NUMBER, BOOLEAN or STRING_LIST with the matching …Value)`);
}

function plainValue(name: string, value: unknown): MetadataValue {
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value as string[];
  throw new SidecarError(`metadata attribute '${name}' must be a string, number, boolean or list of strings`);
}

/** Parses a sidecar's bytes; throws {@link SidecarError} with a reason fit for a job's failures. */
export function parseSidecar(bytes: Uint8Array, key: string): SidecarMetadata {
  if (bytes.byteLength > MAX_SIDECAR_BYTES) throw new SidecarError(`metadata file ${key} is ${bytes.byteLength} bytes; the limit is ${MAX_SIDECAR_BYTES}`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (error) {
    throw new SidecarError(`metadata file ${key} is not valid JSON: ${(error as Error).message}`);
  }
  const attributes = (json as { metadataAttributes?: unknown } | null)?.metadataAttributes;
  if (!attributes || typeof attributes !== "object" || Array.isArray(attributes)) {
    throw new SidecarError(`metadata file ${key} must be an object with a "metadataAttributes" object`);
  }
  const result: SidecarMetadata = { attributes: {}, forEmbedding: [] };
  for (const [name, raw] of Object.entries(attributes as Record<string, unknown>)) {
    if (name.startsWith("x-amz-bedrock-kb-")) throw new SidecarError(`metadata attribute '${name}' uses a reserved prefix`);
    const typed = raw && typeof raw === "object" && !Array.isArray(raw) && "value" in raw;
    const value = typed ? typedValue(name, (raw as { value: Record<string, unknown> }).value ?? {}) : plainValue(name, raw);
    result.attributes[name] = value;
    if (typed && (raw as { includeForEmbedding?: unknown }).includeForEmbedding === true) {
      result.forEmbedding.push(`${name}: ${Array.isArray(value) ? value.join(", ") : String(value)}`);
    }
  }
  return result;
}
