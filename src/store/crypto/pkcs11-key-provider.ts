// Master keys inside a PKCS#11 token: an HSM, a network or cloud HSM (AWS CloudHSM, Thales Luna,
// YubiHSM, Nitrokey) or SoftHSM2. Wrapping and unwrapping are C_Encrypt / C_Decrypt with
// CKM_AES_GCM inside the token, so the key material never reaches this process. States live
// in the token beside the keys and are also enforced by it: a key that is not ENABLED has its
// CKA_ENCRYPT / CKA_DECRYPT turned off, so every process sharing the token fails closed at once,
// whatever it has cached (docs/decisions/0026-pkcs11-key-provider.md).
import { randomBytes, randomUUID } from "node:crypto";
import pkcs11js from "pkcs11js";
import { keyUnavailable, requireEnabled } from "./crypto-errors.ts";
import { lengthPrefixed, u32 } from "./encoding.ts";
import { PENDING_WINDOW_DAYS, type KeyAdmin } from "./key-admin.ts";
import type { KeyStateListener, MasterKeyDescription, MasterKeyState, WrapContext } from "./key-provider.ts";
import { ckrName, isSessionLoss, Pkcs11Session, requireLogin, type Pkcs11, type Pkcs11Handle, type Pkcs11SessionOptions } from "./pkcs11-session.ts";
import { TokenLayout, type StateRecord, type TokenKey, type TokenSnapshot } from "./pkcs11-token-layout.ts";

// The same blob layout as the local provider's: format, key version, IV, ciphertext, tag.
const BLOB_FORMAT = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEAD_BYTES = 1 + 4 + IV_BYTES;
const AAD_LABEL = "basalt/pkcs11-wrap/v1";

/** Options of {@link Pkcs11KeyProvider.open}. */
export interface Pkcs11KeyProviderOptions extends Pkcs11SessionOptions {
  /** Prefix of every object label Basalt keeps in the token; "basalt-master" by default. */
  keyLabelPrefix?: string;
  /** How long key states read from the token are reused; 1000 ms by default, 0 reads them on every use. */
  stateCacheMs?: number;
  /** The clock, for creation and deletion dates. */
  now?: () => Date;
}

/** A {@link KeyAdmin} over AES-256 keys that never leave a PKCS#11 token. */
export class Pkcs11KeyProvider implements KeyAdmin {
  private snapshot: TokenSnapshot | undefined;
  /** The states listeners last heard of; kept when the snapshot is dropped, so a change made meanwhile is still told. */
  private readonly seen = new Map<string, MasterKeyState>();
  private readonly listeners = new Set<KeyStateListener>();

  private constructor(
    private readonly session: Pkcs11Session,
    private readonly layout: TokenLayout,
    private readonly stateCacheMs: number,
    private readonly now: () => Date,
  ) {
    // Handles resolved through a lost session are looked up again.
    session.onReset(() => (this.snapshot = undefined));
  }

  /** Logs in to the token and makes sure a primary key exists (generating one on first start). */
  static async open(options: Pkcs11KeyProviderOptions): Promise<Pkcs11KeyProvider> {
    const session = await Pkcs11Session.open(options);
    const provider = new Pkcs11KeyProvider(session, new TokenLayout(options.keyLabelPrefix ?? "basalt-master"), options.stateCacheMs ?? 1000, options.now ?? (() => new Date()));
    try {
      await provider.ensurePrimary();
    } catch (error) {
      session.close();
      throw error;
    }
    return provider;
  }

  async primaryKeyId(): Promise<string> {
    const snapshot = await this.current();
    if (!snapshot.primaryKeyId) throw keyUnavailable(`The PKCS#11 ${this.session.tokenName} has no primary master key under "${this.layout.prefix}".`);
    return snapshot.primaryKeyId;
  }

  async describe(keyId: string): Promise<MasterKeyDescription> {
    return describeKey(this.find(await this.current(), keyId));
  }

  async wrap(keyId: string, dataKey: Buffer, context: WrapContext): Promise<Buffer> {
    return this.session.run(async (pkcs11, session) => {
      const key = this.find(this.fresh(pkcs11, session), keyId);
      requireEnabled(describeKey(key));
      const version = currentVersion(key);
      const iv = randomBytes(IV_BYTES);
      try {
        pkcs11.C_EncryptInit(session, gcm(iv, wrapAad(keyId, version, context)), key.versions.get(version)![0]!);
        const body = await pkcs11.C_EncryptAsync(session, dataKey, Buffer.alloc(dataKey.length + TAG_BYTES));
        return Buffer.concat([Buffer.of(BLOB_FORMAT), u32(version), iv, body]);
      } catch (error) {
        throw this.refusedOr(error, keyId);
      }
    });
  }

  async unwrap(keyId: string, wrapped: Buffer, context: WrapContext): Promise<Buffer> {
    return this.session.run(async (pkcs11, session) => {
      const key = this.find(this.fresh(pkcs11, session), keyId);
      requireEnabled(describeKey(key));
      if (wrapped.length < HEAD_BYTES + TAG_BYTES || wrapped[0] !== BLOB_FORMAT) {
        throw keyUnavailable(`A wrapped data key for master key ${keyId} is malformed.`);
      }
      const version = wrapped.readUInt32BE(1);
      const handles = key.versions.get(version);
      if (!handles) throw keyUnavailable(`Version ${version} of master key ${keyId} no longer exists.`);
      const mechanism = gcm(wrapped.subarray(5, HEAD_BYTES), wrapAad(keyId, version, context));
      const body = wrapped.subarray(HEAD_BYTES);
      // Two objects share a version number only after two rotations raced; one of them wrapped this.
      for (const handle of handles) {
        try {
          pkcs11.C_DecryptInit(session, mechanism, handle);
          return await pkcs11.C_DecryptAsync(session, body, Buffer.alloc(body.length));
        } catch (error) {
          if (isSessionLoss(error) || ckrName(error) === "CKR_KEY_FUNCTION_NOT_PERMITTED") throw this.refusedOr(error, keyId);
          // Anything else is a tag that did not verify (SoftHSM2 says CKR_GENERAL_ERROR, others CKR_ENCRYPTED_DATA_INVALID).
        }
      }
      throw keyUnavailable(`A wrapped data key did not authenticate under master key ${keyId}: it is corrupt or belongs to another account.`);
    });
  }

  async rotate(keyId: string): Promise<MasterKeyDescription> {
    return this.change((pkcs11, session, snapshot) => {
      const key = this.find(snapshot, keyId);
      requireEnabled(describeKey(key));
      this.layout.generateVersion(pkcs11, session, keyId, currentVersion(key) + 1);
      return keyId;
    });
  }

  watch(listener: KeyStateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async listKeys(): Promise<MasterKeyDescription[]> {
    const snapshot = await this.current();
    const keys = [...snapshot.keys.values()].filter((k) => k.versions.size > 0).sort(
      (a, b) => Number(b.record.keyId === snapshot.primaryKeyId) - Number(a.record.keyId === snapshot.primaryKeyId) || a.record.createdAt.localeCompare(b.record.createdAt),
    );
    return keys.map(describeKey);
  }

  async createKey(options: { primary?: boolean } = {}): Promise<MasterKeyDescription> {
    return this.change((pkcs11, session, snapshot) => {
      const keyId = this.generateKey(pkcs11, session);
      if (options.primary) this.replacePrimary(pkcs11, session, snapshot, keyId);
      return keyId;
    });
  }

  async setPrimaryKey(keyId: string): Promise<void> {
    await this.change((pkcs11, session, snapshot) => {
      requireEnabled(describeKey(this.find(snapshot, keyId)));
      this.replacePrimary(pkcs11, session, snapshot, keyId);
      return keyId;
    });
  }

  async enableKey(keyId: string): Promise<MasterKeyDescription> {
    return this.changeState(keyId, (record) => {
      if (record.state === "PENDING_DELETION") throw keyUnavailable(`The master key ${keyId} is pending deletion; cancel the deletion before enabling it.`);
      return { ...record, state: "ENABLED" };
    });
  }

  async disableKey(keyId: string): Promise<MasterKeyDescription> {
    return this.changeState(keyId, (record) => (record.state === "PENDING_DELETION" ? undefined : { ...record, state: "DISABLED" }));
  }

  async scheduleKeyDeletion(keyId: string, pendingWindowDays: number = PENDING_WINDOW_DAYS.max): Promise<MasterKeyDescription> {
    if (!Number.isInteger(pendingWindowDays) || pendingWindowDays < PENDING_WINDOW_DAYS.min || pendingWindowDays > PENDING_WINDOW_DAYS.max) {
      throw keyUnavailable(`The pending window for a key deletion must be ${PENDING_WINDOW_DAYS.min} to ${PENDING_WINDOW_DAYS.max} days.`);
    }
    const deletionDate = new Date(this.now().getTime() + pendingWindowDays * 86_400_000).toISOString();
    return this.changeState(keyId, (record) => ({ ...record, state: "PENDING_DELETION", deletionDate }));
  }

  async cancelKeyDeletion(keyId: string): Promise<MasterKeyDescription> {
    return this.changeState(keyId, (record) => {
      if (record.state !== "PENDING_DELETION") return undefined;
      const { deletionDate: _, ...rest } = record;
      return { ...rest, state: "DISABLED" };
    });
  }

  async purgeDeletedKeys(): Promise<string[]> {
    return this.session.run((pkcs11, session) => {
      const snapshot = this.refresh(pkcs11, session);
      const now = this.now().getTime();
      const purged: string[] = [];
      for (const key of snapshot.keys.values()) {
        const { keyId, state, deletionDate } = key.record;
        if (state !== "PENDING_DELETION" || deletionDate === undefined || Date.parse(deletionDate) > now || keyId === snapshot.primaryKeyId) continue;
        // Material first: should this stop halfway, the state record still says the key is going.
        for (const handle of [...key.versions.values()].flat()) pkcs11.C_DestroyObject(session, handle);
        for (const handle of key.recordHandles) destroyQuietly(pkcs11, session, handle);
        purged.push(keyId);
      }
      this.refresh(pkcs11, session);
      return purged;
    });
  }

  /** Closes the session; the module is finalized once no provider in this process uses it. */
  close(): void {
    this.session.close();
    this.snapshot = undefined;
  }

  private async ensurePrimary(): Promise<void> {
    await this.session.run((pkcs11, session) => {
      const snapshot = this.refresh(pkcs11, session);
      if (snapshot.primaryKeyId !== undefined) return;
      // A first start, or one cut short after its key but before its primary record: adopt the oldest enabled key.
      const adopted = [...snapshot.keys.values()].filter((k) => k.record.state === "ENABLED").sort((a, b) => a.record.createdAt.localeCompare(b.record.createdAt))[0];
      const keyId = adopted?.record.keyId ?? this.generateKey(pkcs11, session);
      const mine = this.layout.writePrimary(pkcs11, session, keyId, snapshot.primaryGeneration + 1);
      // Several processes starting at once may each have written one; every reader picks the same
      // winner, so a loser removes its record. Its key stays: someone may already wrap under it.
      if (this.refresh(pkcs11, session).primaryKeyId !== keyId) {
        destroyQuietly(pkcs11, session, mine);
        this.refresh(pkcs11, session);
      }
    });
  }

  /** A fresh ENABLED key with version 1, state record after material so a half-made key is never listed. */
  private generateKey(pkcs11: Pkcs11, session: Pkcs11Handle): string {
    const keyId = randomUUID();
    this.layout.generateVersion(pkcs11, session, keyId, 1);
    this.layout.writeState(pkcs11, session, { keyId, state: "ENABLED", createdAt: this.now().toISOString(), generation: 1 });
    return keyId;
  }

  private replacePrimary(pkcs11: Pkcs11, session: Pkcs11Handle, snapshot: TokenSnapshot, keyId: string): void {
    this.layout.writePrimary(pkcs11, session, keyId, snapshot.primaryGeneration + 1);
    for (const handle of snapshot.primaryHandles) destroyQuietly(pkcs11, session, handle);
  }

  private changeState(keyId: string, next: (record: StateRecord) => StateRecord | undefined): Promise<MasterKeyDescription> {
    return this.change((pkcs11, session, snapshot) => {
      const key = this.find(snapshot, keyId);
      const record = next({ ...key.record });
      if (!record) return keyId;
      const enabled = record.state === "ENABLED";
      // Ordered to fail closed: a change cut short leaves the token refusing a key its record may still call enabled.
      if (!enabled) this.setUsage(pkcs11, session, key, false);
      this.layout.writeState(pkcs11, session, { ...record, generation: key.record.generation + 1 });
      for (const handle of key.recordHandles) destroyQuietly(pkcs11, session, handle);
      if (enabled) this.setUsage(pkcs11, session, key, true);
      return keyId;
    });
  }

  /** Turns a key's CKA_ENCRYPT / CKA_DECRYPT on or off, so the token itself enforces its state. */
  private setUsage(pkcs11: Pkcs11, session: Pkcs11Handle, key: TokenKey, allowed: boolean): void {
    for (const handle of [...key.versions.values()].flat()) {
      const current = pkcs11.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_ENCRYPT }, { type: pkcs11js.CKA_DECRYPT }]);
      if (current.every((a) => a.value[0] === (allowed ? 1 : 0))) continue;
      try {
        pkcs11.C_SetAttributeValue(session, handle, [
          { type: pkcs11js.CKA_ENCRYPT, value: allowed },
          { type: pkcs11js.CKA_DECRYPT, value: allowed },
        ]);
      } catch (error) {
        // A token that will not change these still fails closed through the state record.
        if (!allowed && ckrName(error) === "CKR_ATTRIBUTE_READ_ONLY") continue;
        if (ckrName(error) === "CKR_ATTRIBUTE_READ_ONLY") {
          throw keyUnavailable(`The PKCS#11 ${this.session.tokenName} will not give master key ${key.record.keyId} its encrypt/decrypt permission back (CKR_ATTRIBUTE_READ_ONLY); its security officer must set CKA_ENCRYPT and CKA_DECRYPT.`);
        }
        throw error;
      }
    }
  }

  /** Runs a change against a freshly read token, then re-reads it and describes the key the change names. */
  private change(fn: (pkcs11: Pkcs11, session: Pkcs11Handle, snapshot: TokenSnapshot) => string): Promise<MasterKeyDescription> {
    return this.session.run((pkcs11, session) => {
      const keyId = fn(pkcs11, session, this.refresh(pkcs11, session));
      return describeKey(this.find(this.refresh(pkcs11, session), keyId));
    });
  }

  /** The snapshot, re-read when older than the state cache allows. */
  private async current(): Promise<TokenSnapshot> {
    const cached = this.snapshot;
    if (cached && Date.now() - cached.readAt < this.stateCacheMs) return cached;
    return this.session.run((pkcs11, session) => this.fresh(pkcs11, session));
  }

  private fresh(pkcs11: Pkcs11, session: Pkcs11Handle): TokenSnapshot {
    const cached = this.snapshot;
    return cached && Date.now() - cached.readAt < this.stateCacheMs ? cached : this.refresh(pkcs11, session);
  }

  private refresh(pkcs11: Pkcs11, session: Pkcs11Handle): TokenSnapshot {
    let next: TokenSnapshot;
    try {
      requireLogin(pkcs11, session);
      next = this.layout.read(pkcs11, session);
    } catch (error) {
      this.snapshot = undefined;
      // Fail closed: without a readable token no key is usable. A lost session is retried at once, so it is not told.
      if (!isSessionLoss(error)) for (const keyId of this.seen.keys()) this.tell(keyId, "DISABLED");
      throw error;
    }
    this.snapshot = next;
    for (const keyId of this.seen.keys()) {
      // A key gone from the token was deleted; listeners only need to know it is unusable.
      if (next.keys.has(keyId)) continue;
      this.tell(keyId, "PENDING_DELETION");
      this.seen.delete(keyId);
    }
    for (const [keyId, key] of next.keys) this.tell(keyId, key.record.state);
    return next;
  }

  /** Records `state` as the key's, telling listeners when it differs from what they last heard. */
  private tell(keyId: string, state: MasterKeyState): void {
    const before = this.seen.get(keyId);
    this.seen.set(keyId, state);
    if (before !== undefined && before !== state) this.emit(keyId, state);
  }

  private emit(keyId: string, state: MasterKeyState): void {
    for (const listener of this.listeners) listener(keyId, state);
  }

  private find(snapshot: TokenSnapshot, keyId: string): TokenKey {
    const key = snapshot.keys.get(keyId);
    if (!key || key.versions.size === 0) throw keyUnavailable(`The master key ${keyId} does not exist; content protected by it is unreadable.`);
    return key;
  }

  private refusedOr(error: unknown, keyId: string): unknown {
    if (ckrName(error) !== "CKR_KEY_FUNCTION_NOT_PERMITTED") return error;
    return keyUnavailable(
      `The PKCS#11 ${this.session.tokenName} refuses to use master key ${keyId} (its encrypt/decrypt permission is off, as for a disabled key); ` +
        `run basalt keys enable ${keyId} if it should be usable.`,
    );
  }
}

function describeKey(key: TokenKey): MasterKeyDescription {
  return {
    keyId: key.record.keyId,
    state: key.record.state,
    currentVersion: currentVersion(key),
    ...(key.record.deletionDate ? { deletionDate: key.record.deletionDate } : {}),
  };
}

function currentVersion(key: TokenKey): number {
  return Math.max(...key.versions.keys());
}

function gcm(iv: Buffer, aad: Buffer): pkcs11js.Mechanism {
  // CK_GCM_PARAMS as PKCS#11 2.40 errata / 3.0 define it (with ulIvBits), which SoftHSM2 and current HSMs use.
  return { mechanism: pkcs11js.CKM_AES_GCM, parameter: { type: pkcs11js.CK_PARAMS_AES_GCM, iv, aad, ivBits: IV_BYTES * 8, tagBits: TAG_BYTES * 8 } as pkcs11js.IParams };
}

function wrapAad(keyId: string, version: number, context: WrapContext): Buffer {
  const entries = Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.concat([lengthPrefixed(AAD_LABEL, keyId), u32(version), lengthPrefixed(...entries.flat())]);
}

function destroyQuietly(pkcs11: Pkcs11, session: Pkcs11Handle, handle: Pkcs11Handle): void {
  try {
    pkcs11.C_DestroyObject(session, handle);
  } catch (error) {
    // Another process replaced the same record a moment earlier; anything else is the session's problem.
    if (isSessionLoss(error) && ckrName(error) !== "CKR_OBJECT_HANDLE_INVALID") throw error;
  }
}
