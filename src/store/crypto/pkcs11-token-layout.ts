// What the PKCS#11 key provider keeps in a token, and how it reads it back (docs/decisions/0026).
// Under a prefix P (default "basalt-master"):
// - each version of a master key is an AES-256 secret key labelled `P/<keyId>/v<N>`, CKA_ID
//   `P/<keyId>`, sensitive and never extractable: its material never leaves the token;
// - each key's state is a private data object (CKO_DATA, CKA_APPLICATION P) labelled
//   `P/<keyId>/state` holding JSON {keyId, state, createdAt, deletionDate?, generation};
// - the primary key is a data object labelled `P/primary` holding JSON {keyId, generation}.
// Tokens commonly refuse to modify a data object's value, so a record is replaced by writing
// one with the next generation and destroying the old one; a reader takes the highest generation.
import pkcs11js from "pkcs11js";
import { keyUnavailable } from "./crypto-errors.ts";
import type { MasterKeyState } from "./key-provider.ts";
import type { Pkcs11, Pkcs11Handle } from "./pkcs11-session.ts";

const RECORD_FORMAT = 1;
const STATES: readonly MasterKeyState[] = ["ENABLED", "DISABLED", "PENDING_DELETION"];
/** AES-256: the key length the token generates, in bytes. */
const KEY_BYTES = 32;

/** A master key's state as the token records it. */
export interface StateRecord {
  keyId: string;
  state: MasterKeyState;
  createdAt: string;
  deletionDate?: string;
  generation: number;
}

/** One master key as read from the token. */
export interface TokenKey {
  record: StateRecord;
  /** Every state record object of the key, the one in `record` first (older ones are leftovers of an interrupted replace). */
  recordHandles: Pkcs11Handle[];
  /** Secret-key objects by version number (two objects share a number only after concurrent rotations). */
  versions: Map<number, Pkcs11Handle[]>;
}

/** Everything under one prefix, read at `readAt`. */
export interface TokenSnapshot {
  primaryKeyId: string | undefined;
  primaryGeneration: number;
  primaryHandles: Pkcs11Handle[];
  keys: Map<string, TokenKey>;
  readAt: number;
}

/** The labels and ids of one prefix's objects. */
export class TokenLayout {
  constructor(readonly prefix: string) {}

  versionLabel(keyId: string, version: number): string {
    return `${this.prefix}/${keyId}/v${version}`;
  }

  keyObjectId(keyId: string): Buffer {
    return Buffer.from(`${this.prefix}/${keyId}`, "utf8");
  }

  /** Reads every key, state and the primary under the prefix. */
  read(pkcs11: Pkcs11, session: Pkcs11Handle): TokenSnapshot {
    const records = new Map<string, { record: StateRecord; handle: Pkcs11Handle }[]>();
    const primaries: { keyId: string; generation: number; handle: Pkcs11Handle }[] = [];
    const data = findObjects(pkcs11, session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_APPLICATION, value: this.prefix },
    ]);
    for (const handle of data) {
      const [label, value] = pkcs11.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_LABEL }, { type: pkcs11js.CKA_VALUE }]).map((a) => a.value);
      const name = label!.toString("utf8");
      if (name === `${this.prefix}/primary`) {
        primaries.push({ ...parsePrimary(value!, name), handle });
        continue;
      }
      const keyId = name.startsWith(`${this.prefix}/`) && name.endsWith("/state") ? name.slice(this.prefix.length + 1, -"/state".length) : undefined;
      if (keyId === undefined) continue; // another object of the same application: not ours to read
      const record = parseState(value!, name, keyId);
      records.set(keyId, [...(records.get(keyId) ?? []), { record, handle }]);
    }
    const keys = new Map<string, TokenKey>();
    for (const [keyId, found] of records) {
      // Newest generation first; equal generations (two writers at once) in a fixed order, so every reader agrees.
      found.sort((a, b) => b.record.generation - a.record.generation || compare(JSON.stringify(a.record), JSON.stringify(b.record)));
      keys.set(keyId, { record: found[0]!.record, recordHandles: found.map((f) => f.handle), versions: this.readVersions(pkcs11, session, keyId) });
    }
    primaries.sort((a, b) => b.generation - a.generation || compare(a.keyId, b.keyId));
    return {
      primaryKeyId: primaries[0]?.keyId,
      primaryGeneration: primaries[0]?.generation ?? 0,
      primaryHandles: primaries.map((p) => p.handle),
      keys,
      readAt: Date.now(),
    };
  }

  /** Generates version `version` of `keyId` inside the token; returns its handle. */
  generateVersion(pkcs11: Pkcs11, session: Pkcs11Handle, keyId: string, version: number): Pkcs11Handle {
    return pkcs11.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_VALUE_LEN, value: KEY_BYTES },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      // The material never leaves the token, not even wrapped under another key.
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: false },
      { type: pkcs11js.CKA_ENCRYPT, value: true },
      { type: pkcs11js.CKA_DECRYPT, value: true },
      { type: pkcs11js.CKA_WRAP, value: false },
      { type: pkcs11js.CKA_UNWRAP, value: false },
      { type: pkcs11js.CKA_LABEL, value: this.versionLabel(keyId, version) },
      { type: pkcs11js.CKA_ID, value: this.keyObjectId(keyId) },
    ]);
  }

  /** Writes a state record; the caller destroys the ones it replaces. */
  writeState(pkcs11: Pkcs11, session: Pkcs11Handle, record: StateRecord): Pkcs11Handle {
    const { keyId, state, createdAt, deletionDate, generation } = record;
    return this.writeData(pkcs11, session, `${this.prefix}/${keyId}/state`, { format: RECORD_FORMAT, keyId, state, createdAt, ...(deletionDate ? { deletionDate } : {}), generation });
  }

  /** Writes a primary record; the caller destroys the ones it replaces. */
  writePrimary(pkcs11: Pkcs11, session: Pkcs11Handle, keyId: string, generation: number): Pkcs11Handle {
    return this.writeData(pkcs11, session, `${this.prefix}/primary`, { format: RECORD_FORMAT, keyId, generation });
  }

  private writeData(pkcs11: Pkcs11, session: Pkcs11Handle, label: string, value: object): Pkcs11Handle {
    return pkcs11.C_CreateObject(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_DATA },
      { type: pkcs11js.CKA_TOKEN, value: true },
      // Only a logged-in user sees the records, as only they can use the keys.
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_APPLICATION, value: this.prefix },
      { type: pkcs11js.CKA_LABEL, value: label },
      { type: pkcs11js.CKA_VALUE, value: Buffer.from(JSON.stringify(value), "utf8") },
    ]);
  }

  private readVersions(pkcs11: Pkcs11, session: Pkcs11Handle, keyId: string): Map<number, Pkcs11Handle[]> {
    const versions = new Map<number, Pkcs11Handle[]>();
    const prefix = `${this.prefix}/${keyId}/v`;
    const handles = findObjects(pkcs11, session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_ID, value: this.keyObjectId(keyId) },
    ]);
    for (const handle of handles) {
      const label = pkcs11.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_LABEL }])[0]!.value.toString("utf8");
      const version = label.startsWith(prefix) && /^\d{1,9}$/.test(label.slice(prefix.length)) ? Number(label.slice(prefix.length)) : 0;
      if (version > 0) versions.set(version, [...(versions.get(version) ?? []), handle]);
    }
    return versions;
  }
}

/** Every object matching `template`. */
export function findObjects(pkcs11: Pkcs11, session: Pkcs11Handle, template: pkcs11js.Template): Pkcs11Handle[] {
  pkcs11.C_FindObjectsInit(session, template);
  const found: Pkcs11Handle[] = [];
  try {
    for (;;) {
      const batch = pkcs11.C_FindObjects(session, 64);
      found.push(...batch);
      if (batch.length < 64) return found;
    }
  } finally {
    try {
      pkcs11.C_FindObjectsFinal(session);
    } catch {
      // The session was lost mid-search; the caller's error says so.
    }
  }
}

function parseJson(value: Buffer, label: string): Record<string, unknown> {
  const invalid = () => keyUnavailable(`The record ${label} in the PKCS#11 token is not valid; content under its keys is unreadable until it is repaired.`);
  let raw: unknown;
  try {
    raw = JSON.parse(value.toString("utf8"));
  } catch {
    throw invalid();
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw) || (raw as { format?: unknown }).format !== RECORD_FORMAT) throw invalid();
  const generation = (raw as { generation?: unknown }).generation;
  if (typeof generation !== "number" || !Number.isInteger(generation) || generation < 1) throw invalid();
  return raw as Record<string, unknown>;
}

function parseState(value: Buffer, label: string, keyId: string): StateRecord {
  const raw = parseJson(value, label);
  const { state, createdAt, deletionDate, generation } = raw;
  const valid =
    raw.keyId === keyId &&
    STATES.includes(state as MasterKeyState) &&
    typeof createdAt === "string" &&
    (deletionDate === undefined || typeof deletionDate === "string") &&
    (state !== "PENDING_DELETION" || typeof deletionDate === "string");
  if (!valid) throw keyUnavailable(`The record ${label} in the PKCS#11 token is not valid; content under its keys is unreadable until it is repaired.`);
  return { keyId, state: state as MasterKeyState, createdAt: createdAt as string, ...(deletionDate ? { deletionDate: deletionDate as string } : {}), generation: generation as number };
}

function parsePrimary(value: Buffer, label: string): { keyId: string; generation: number } {
  const raw = parseJson(value, label);
  if (typeof raw.keyId !== "string") throw keyUnavailable(`The record ${label} in the PKCS#11 token is not valid; content under its keys is unreadable until it is repaired.`);
  return { keyId: raw.keyId, generation: raw.generation as number };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
