// Wrapped data keys as files: <dir>/<account>/<version>.json, one file per version. Separate
// files make "insert a version only if absent" an exclusive create, safe across processes,
// and a replace an atomic rename; no file ever holds a key in the clear.
import { mkdir, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { BasaltError } from "../../spec/errors.ts";
import { createFileExclusive, writeFileAtomic } from "./atomic-file.ts";
import { keyUnavailable } from "./crypto-errors.ts";
import type { WrappedDataKey, WrappedKeyRef, WrappedKeyStore } from "./wrapped-key-store.ts";

const VERSION_FILE = /^([1-9][0-9]{0,9})\.json$/;

/** A {@link WrappedKeyStore} in a local directory (by default <dataDir>/keys). */
export class FileWrappedKeyStore implements WrappedKeyStore {
  /** `dir` is created (mode 0700) on the first insert. */
  constructor(private readonly dir: string) {}

  async get(accountId: string, version?: number): Promise<WrappedDataKey | undefined> {
    const wanted = version ?? (await this.newestVersion(accountId));
    if (wanted === undefined) return undefined;
    let text: string;
    try {
      text = await readFile(this.file(accountId, wanted), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw keyUnavailable(`Data key version ${wanted} of account ${accountId} could not be read from the key store.`, error);
    }
    const key = parseRecord(text);
    // A file copied into another account's folder, or renamed, must not be used.
    if (!key || key.accountId !== accountId || key.version !== wanted) {
      throw keyUnavailable(`Data key version ${wanted} of account ${accountId} is corrupt in the key store.`);
    }
    return key;
  }

  async insert(key: WrappedDataKey): Promise<void> {
    await mkdir(this.accountDir(key.accountId), { recursive: true, mode: 0o700 });
    if (!(await createFileExclusive(this.file(key.accountId, key.version), serialize(key)))) {
      throw new BasaltError("CONFLICT", `Data key version ${key.version} of account ${key.accountId} already exists.`);
    }
  }

  async replace(key: WrappedDataKey): Promise<void> {
    const path = this.file(key.accountId, key.version);
    // Replace never creates: a version appears only through insert's exclusive create.
    await stat(path).catch(() => {
      throw keyUnavailable(`Data key version ${key.version} of account ${key.accountId} does not exist in the key store.`);
    });
    await writeFileAtomic(path, serialize(key));
  }

  async *list(): AsyncIterable<WrappedKeyRef> {
    for (const folder of await readdirOrEmpty(this.dir)) {
      const accountId = decodeAccount(folder);
      if (accountId === undefined) continue;
      for (const version of (await this.versions(accountId)).sort((a, b) => a - b)) yield { accountId, version };
    }
  }

  private async newestVersion(accountId: string): Promise<number | undefined> {
    const versions = await this.versions(accountId);
    return versions.length ? Math.max(...versions) : undefined;
  }

  private async versions(accountId: string): Promise<number[]> {
    const names = await readdirOrEmpty(this.accountDir(accountId));
    return names.flatMap((name) => {
      const match = VERSION_FILE.exec(name);
      return match ? [Number(match[1])] : [];
    });
  }

  private accountDir(accountId: string): string {
    return join(this.dir, encodeAccount(accountId));
  }

  private file(accountId: string, version: number): string {
    return join(this.accountDir(accountId), `${version}.json`);
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw keyUnavailable("The data key store could not be listed.", error);
  }
}

function encodeAccount(accountId: string): string {
  // Percent-encode everything but [A-Za-z0-9_-], so no id can name "..", a separator or a temp file.
  if (accountId.length === 0) throw new BasaltError("VALIDATION", "An account id is required for encryption.");
  return [...Buffer.from(accountId, "utf8")]
    .map((b) => (/[A-Za-z0-9_-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`))
    .join("");
}

function decodeAccount(folder: string): string | undefined {
  if (!/^(?:[A-Za-z0-9_-]|%[0-9A-F]{2})+$/.test(folder)) return undefined;
  try {
    return decodeURIComponent(folder);
  } catch {
    return undefined;
  }
}

function serialize(key: WrappedDataKey): string {
  return `${JSON.stringify({ ...key, wrapped: key.wrapped.toString("base64") })}\n`;
}

function parseRecord(text: string): WrappedDataKey | undefined {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const { accountId, version, keyId, masterKeyId, wrapped, createdAt } = raw ?? {};
  if (typeof accountId !== "string" || typeof version !== "number" || typeof keyId !== "string") return undefined;
  if (typeof masterKeyId !== "string" || typeof wrapped !== "string" || typeof createdAt !== "string") return undefined;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(wrapped)) return undefined;
  return { accountId, version, keyId, masterKeyId, wrapped: Buffer.from(wrapped, "base64"), createdAt };
}
