// Master keys from a local key file (<dataDir>/master.key by default). The file is created with
// mode 0600 on first start. Edits by another process (an admin command) are picked up within
// `reloadIntervalMs`; an unreadable or invalid file fails closed until it is fixed.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdir, readFile, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { BasaltError } from "../../spec/errors.ts";
import { createFileExclusive, writeFileAtomic } from "./atomic-file.ts";
import { keyUnavailable, requireEnabled } from "./crypto-errors.ts";
import { lengthPrefixed, u32 } from "./encoding.ts";
import { currentVersion, newMasterKey, newVersion, parseKeyFile, serializeKeyFile, type KeyFile, type MasterKey } from "./key-file.ts";
import type { KeyProvider, KeyStateListener, MasterKeyDescription, MasterKeyState, WrapContext } from "./key-provider.ts";

const BLOB_FORMAT = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEAD_BYTES = 1 + 4 + IV_BYTES;
const AAD_LABEL = "basalt/local-wrap/v1";

/** Options of {@link LocalKeyProvider.open}. */
export interface LocalKeyProviderOptions {
  /** The key file; created with one fresh key when absent. */
  path: string;
  /** At most how often the file is checked for edits by another process; 1000 ms by default. */
  reloadIntervalMs?: number;
  /** The clock, for creation and deletion dates. */
  now?: () => Date;
}

/** A {@link KeyProvider} over 256-bit AES-GCM master keys kept in a local JSON key file. */
export class LocalKeyProvider implements KeyProvider {
  private file: KeyFile | undefined;
  private loadError: Error | undefined;
  private fingerprint = "";
  private checkedAt = 0;
  private readonly listeners = new Set<KeyStateListener>();
  private mutation: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private readonly reloadIntervalMs: number,
    private readonly now: () => Date,
  ) {}

  /** Opens the key file, creating it (mode 0600, one ENABLED primary key) when it does not exist. */
  static async open(options: LocalKeyProviderOptions): Promise<LocalKeyProvider> {
    const provider = new LocalKeyProvider(options.path, options.reloadIntervalMs ?? 1000, options.now ?? (() => new Date()));
    const exists = await stat(options.path).then(() => true, (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return false;
      throw keyUnavailable(`The master key file ${options.path} could not be read.`, error);
    });
    if (!exists) {
      await mkdir(dirname(options.path), { recursive: true, mode: 0o700 });
      const key = newMasterKey(provider.now());
      // Exclusive create: if another process created the file first, use theirs; overwriting
      // it would orphan every data key already wrapped under their key.
      await createFileExclusive(options.path, serializeKeyFile({ primaryKeyId: key.keyId, keys: [key] }));
    }
    await provider.reload();
    if (provider.loadError) throw provider.loadError;
    return provider;
  }

  async primaryKeyId(): Promise<string> {
    return (await this.current()).primaryKeyId;
  }

  async describe(keyId: string): Promise<MasterKeyDescription> {
    return describeKey(this.find(await this.current(), keyId));
  }

  async wrap(keyId: string, dataKey: Buffer, context: WrapContext): Promise<Buffer> {
    const key = this.find(await this.current(), keyId);
    requireEnabled(describeKey(key));
    const version = currentVersion(key);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", version.material, iv);
    cipher.setAAD(wrapAad(keyId, version.version, context));
    const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return Buffer.concat([Buffer.of(BLOB_FORMAT), u32(version.version), iv, body, cipher.getAuthTag()]);
  }

  async unwrap(keyId: string, wrapped: Buffer, context: WrapContext): Promise<Buffer> {
    const key = this.find(await this.current(), keyId);
    requireEnabled(describeKey(key));
    if (wrapped.length < HEAD_BYTES + TAG_BYTES || wrapped[0] !== BLOB_FORMAT) {
      throw keyUnavailable(`A wrapped data key for master key ${keyId} is malformed.`);
    }
    const versionNumber = wrapped.readUInt32BE(1);
    const version = key.versions.find((v) => v.version === versionNumber);
    if (!version) throw keyUnavailable(`Version ${versionNumber} of master key ${keyId} no longer exists.`);
    const decipher = createDecipheriv("aes-256-gcm", version.material, wrapped.subarray(5, HEAD_BYTES));
    decipher.setAAD(wrapAad(keyId, versionNumber, context));
    decipher.setAuthTag(wrapped.subarray(wrapped.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(wrapped.subarray(HEAD_BYTES, wrapped.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw keyUnavailable(`A wrapped data key did not authenticate under master key ${keyId}: it is corrupt or belongs to another account.`);
    }
  }

  async rotate(keyId: string): Promise<MasterKeyDescription> {
    return this.mutate(keyId, (key) => {
      requireEnabled(describeKey(key));
      key.versions.push(newVersion(currentVersion(key).version + 1, this.now()));
    });
  }

  watch(listener: KeyStateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every key's description, primary first. */
  async listKeys(): Promise<MasterKeyDescription[]> {
    const file = await this.current();
    return [...file.keys].sort((a, b) => Number(b.keyId === file.primaryKeyId) - Number(a.keyId === file.primaryKeyId)).map(describeKey);
  }

  /** Adds a fresh ENABLED key; `primary` makes new data keys wrap under it. */
  async createKey(options: { primary?: boolean } = {}): Promise<MasterKeyDescription> {
    const key = newMasterKey(this.now());
    await this.edit((file) => {
      file.keys.push(key);
      if (options.primary) file.primaryKeyId = key.keyId;
    });
    return describeKey(key);
  }

  /** Makes an ENABLED key the one new data keys wrap under. */
  async setPrimaryKey(keyId: string): Promise<void> {
    await this.edit((file) => {
      requireEnabled(describeKey(this.find(file, keyId)));
      file.primaryKeyId = keyId;
    });
  }

  /** KMS EnableKey: a DISABLED key becomes usable again (cancel a deletion first). */
  async enableKey(keyId: string): Promise<MasterKeyDescription> {
    return this.mutate(keyId, (key) => {
      if (key.state === "PENDING_DELETION") throw keyUnavailable(`The master key ${keyId} is pending deletion; cancel the deletion before enabling it.`);
      key.state = "ENABLED";
    });
  }

  /** KMS DisableKey: everything under the key fails closed until it is enabled again. */
  async disableKey(keyId: string): Promise<MasterKeyDescription> {
    return this.mutate(keyId, (key) => {
      if (key.state === "PENDING_DELETION") return;
      key.state = "DISABLED";
    });
  }

  /** KMS ScheduleKeyDeletion: unusable now, destroyed by {@link purgeDeletedKeys} after the window (7-30 days). */
  async scheduleKeyDeletion(keyId: string, pendingWindowDays = 30): Promise<MasterKeyDescription> {
    if (!Number.isInteger(pendingWindowDays) || pendingWindowDays < 7 || pendingWindowDays > 30) {
      throw keyUnavailable("The pending window for a key deletion must be 7 to 30 days.");
    }
    return this.mutate(keyId, (key) => {
      key.state = "PENDING_DELETION";
      key.deletionDate = new Date(this.now().getTime() + pendingWindowDays * 86_400_000).toISOString();
    });
  }

  /** KMS CancelKeyDeletion: the key returns as DISABLED, as in KMS. */
  async cancelKeyDeletion(keyId: string): Promise<MasterKeyDescription> {
    return this.mutate(keyId, (key) => {
      if (key.state !== "PENDING_DELETION") return;
      key.state = "DISABLED";
      delete key.deletionDate;
    });
  }

  /** Destroys the material of keys whose deletion date has passed (never the primary); returns their ids. */
  async purgeDeletedKeys(): Promise<string[]> {
    const purged: string[] = [];
    await this.edit((file) => {
      const now = this.now().getTime();
      file.keys = file.keys.filter((key) => {
        const due = key.state === "PENDING_DELETION" && key.deletionDate !== undefined && Date.parse(key.deletionDate) <= now;
        if (due && key.keyId !== file.primaryKeyId) purged.push(key.keyId);
        return !due || key.keyId === file.primaryKeyId;
      });
    });
    return purged;
  }

  private async mutate(keyId: string, change: (key: MasterKey) => void): Promise<MasterKeyDescription> {
    let result: MasterKeyDescription | undefined;
    await this.edit((file) => {
      const key = this.find(file, keyId);
      change(key);
      result = describeKey(key);
    });
    return result!;
  }

  private edit(change: (file: KeyFile) => void): Promise<void> {
    // Edits queue one after another and start from the file on disk, so an edit made by
    // another process in the meantime is not overwritten.
    const run = this.mutation.then(async () => {
      this.checkedAt = 0;
      const file = cloneKeyFile(await this.current());
      change(file);
      await writeFileAtomic(this.path, serializeKeyFile(file));
      this.checkedAt = 0;
      await this.reload();
    });
    this.mutation = run.catch(() => undefined);
    return run;
  }

  private async current(): Promise<KeyFile> {
    if (Date.now() - this.checkedAt >= this.reloadIntervalMs) await this.reload();
    if (this.loadError || !this.file) throw this.loadError ?? keyUnavailable(`The master key file ${this.path} is not loaded.`);
    return this.file;
  }

  private async reload(): Promise<void> {
    this.checkedAt = Date.now();
    try {
      const info = await stat(this.path);
      const fingerprint = `${info.ino}:${info.size}:${info.mtimeMs}`;
      if (fingerprint === this.fingerprint && !this.loadError) return;
      const next = parseKeyFile(await readFile(this.path, "utf8"), this.path);
      const previous = this.file;
      this.file = next;
      this.fingerprint = fingerprint;
      this.loadError = undefined;
      this.notify(previous, next);
    } catch (error) {
      // Fail closed: without a readable file no key is usable, not even the ones in memory.
      const previous = this.file;
      this.file = undefined;
      this.fingerprint = "";
      this.loadError = error instanceof BasaltError ? error : keyUnavailable(`The master key file ${this.path} could not be read.`, error);
      for (const key of previous?.keys ?? []) this.emit(key.keyId, "DISABLED");
    }
  }

  private notify(previous: KeyFile | undefined, next: KeyFile): void {
    if (!previous) return;
    for (const key of previous.keys) {
      const now = next.keys.find((k) => k.keyId === key.keyId);
      // A key gone from the file was deleted; listeners only need to know it is unusable.
      if (!now) this.emit(key.keyId, "PENDING_DELETION");
      else if (now.state !== key.state) this.emit(key.keyId, now.state);
    }
  }

  private emit(keyId: string, state: MasterKeyState): void {
    for (const listener of this.listeners) listener(keyId, state);
  }

  private find(file: KeyFile, keyId: string): MasterKey {
    const key = file.keys.find((k) => k.keyId === keyId);
    if (!key) throw keyUnavailable(`The master key ${keyId} does not exist; content protected by it is unreadable.`);
    return key;
  }
}

function describeKey(key: MasterKey): MasterKeyDescription {
  return {
    keyId: key.keyId,
    state: key.state,
    currentVersion: currentVersion(key).version,
    ...(key.deletionDate ? { deletionDate: key.deletionDate } : {}),
  };
}

function cloneKeyFile(file: KeyFile): KeyFile {
  // Edits work on a copy so a failed write leaves the in-memory keys as they were on disk.
  return {
    primaryKeyId: file.primaryKeyId,
    keys: file.keys.map((key) => ({ ...key, versions: key.versions.map((v) => ({ ...v })) })),
  };
}

function wrapAad(keyId: string, version: number, context: WrapContext): Buffer {
  const entries = Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.concat([lengthPrefixed(AAD_LABEL, keyId), u32(version), lengthPrefixed(...entries.flat())]);
}
