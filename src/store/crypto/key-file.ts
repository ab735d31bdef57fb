// The local master-key file: JSON holding 256-bit keys by id, each with numbered versions and
// a KMS-style state. Parsing validates everything and never echoes the file's text, because
// that text is key material.
import { randomBytes, randomUUID } from "node:crypto";
import { keyUnavailable } from "./crypto-errors.ts";
import type { MasterKeyState } from "./key-provider.ts";

const FORMAT = 1;
const KEY_BYTES = 32;
const STATES: readonly MasterKeyState[] = ["ENABLED", "DISABLED", "PENDING_DELETION"];

/** One version of a master key's material. */
export interface MasterKeyVersion {
  version: number;
  material: Buffer;
  createdAt: string;
}

/** A master key with all its versions; the highest version is current. */
export interface MasterKey {
  keyId: string;
  state: MasterKeyState;
  createdAt: string;
  deletionDate?: string;
  versions: MasterKeyVersion[];
}

/** The whole key file. */
export interface KeyFile {
  primaryKeyId: string;
  keys: MasterKey[];
}

/** A fresh ENABLED master key with one version of random material. */
export function newMasterKey(now: Date): MasterKey {
  const createdAt = now.toISOString();
  return { keyId: randomUUID(), state: "ENABLED", createdAt, versions: [newVersion(1, now)] };
}

/** A new version of material for an existing key. */
export function newVersion(version: number, now: Date): MasterKeyVersion {
  return { version, material: randomBytes(KEY_BYTES), createdAt: now.toISOString() };
}

/** The version new wraps use. */
export function currentVersion(key: MasterKey): MasterKeyVersion {
  return key.versions.reduce((a, b) => (b.version > a.version ? b : a));
}

/** The file's text. */
export function serializeKeyFile(file: KeyFile): string {
  const keys = file.keys.map((key) => ({
    keyId: key.keyId,
    state: key.state,
    createdAt: key.createdAt,
    ...(key.deletionDate ? { deletionDate: key.deletionDate } : {}),
    versions: key.versions.map((v) => ({ version: v.version, createdAt: v.createdAt, material: v.material.toString("base64") })),
  }));
  return `${JSON.stringify({ format: FORMAT, primaryKeyId: file.primaryKeyId, keys }, null, 2)}\n`;
}

/** Parses and validates the file's text; throws KEY_UNAVAILABLE naming the path and the problem. */
export function parseKeyFile(text: string, path: string): KeyFile {
  const invalid = (problem: string) => keyUnavailable(`The master key file ${path} is not valid: ${problem}.`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // No cause: V8's SyntaxError quotes part of the text, which is key material.
    throw invalid("it is not JSON");
  }
  if (!isObject(raw) || raw.format !== FORMAT) throw invalid(`expected an object with "format": ${FORMAT}`);
  if (!Array.isArray(raw.keys) || raw.keys.length === 0) throw invalid(`"keys" must be a non-empty array`);
  const keys = raw.keys.map((entry, i) => parseKey(entry, `keys[${i}]`, invalid));
  const ids = new Set(keys.map((k) => k.keyId));
  if (ids.size !== keys.length) throw invalid("two keys share one keyId");
  if (typeof raw.primaryKeyId !== "string" || !ids.has(raw.primaryKeyId)) throw invalid(`"primaryKeyId" must name one of the keys`);
  return { primaryKeyId: raw.primaryKeyId, keys };
}

function parseKey(entry: unknown, at: string, invalid: (problem: string) => Error): MasterKey {
  if (!isObject(entry)) throw invalid(`${at} must be an object`);
  const { keyId, state, createdAt, deletionDate, versions } = entry;
  if (typeof keyId !== "string" || !/^[A-Za-z0-9:/_-]{1,200}$/.test(keyId)) throw invalid(`${at}.keyId must be 1-200 of A-Z a-z 0-9 : / _ -`);
  if (typeof state !== "string" || !STATES.includes(state as MasterKeyState)) throw invalid(`${at}.state must be one of ${STATES.join(", ")}`);
  if (typeof createdAt !== "string") throw invalid(`${at}.createdAt must be a string`);
  if (deletionDate !== undefined && typeof deletionDate !== "string") throw invalid(`${at}.deletionDate must be a string`);
  if (state === "PENDING_DELETION" && deletionDate === undefined) throw invalid(`${at}.deletionDate is required when PENDING_DELETION`);
  if (!Array.isArray(versions) || versions.length === 0) throw invalid(`${at}.versions must be a non-empty array`);
  const parsed = versions.map((v, j) => parseVersion(v, `${at}.versions[${j}]`, invalid));
  if (new Set(parsed.map((v) => v.version)).size !== parsed.length) throw invalid(`${at}.versions repeat a version number`);
  return { keyId, state: state as MasterKeyState, createdAt, ...(deletionDate ? { deletionDate } : {}), versions: parsed };
}

function parseVersion(entry: unknown, at: string, invalid: (problem: string) => Error): MasterKeyVersion {
  if (!isObject(entry)) throw invalid(`${at} must be an object`);
  const { version, createdAt, material } = entry;
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1 || version > 0xffffffff) {
    throw invalid(`${at}.version must be a positive integer`);
  }
  if (typeof createdAt !== "string") throw invalid(`${at}.createdAt must be a string`);
  const bytes = typeof material === "string" && /^[A-Za-z0-9+/]+={0,2}$/.test(material) ? Buffer.from(material, "base64") : undefined;
  if (!bytes || bytes.length !== KEY_BYTES) throw invalid(`${at}.material must be ${KEY_BYTES} bytes in base64`);
  return { version, material: bytes, createdAt };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
