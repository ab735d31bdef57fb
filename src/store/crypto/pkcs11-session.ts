// One logged-in PKCS#11 session to a token, for the PKCS#11 key provider. A session is not safe
// for concurrent use, so calls run one at a time; a session lost to a logout, a token reset or a
// dropped network HSM connection is reopened, logged in again and the call retried once. The
// library is loaded once per process and finalized when its last user closes, since PKCS#11
// state (C_Initialize, the login) belongs to the whole process, not to one caller.
import pkcs11js from "pkcs11js";
import { BasaltError } from "../../spec/errors.ts";
import { keyUnavailable } from "./crypto-errors.ts";

/** The pkcs11js binding, loaded and initialized. */
export type Pkcs11 = pkcs11js.PKCS11;
/** A PKCS#11 handle (session, slot or object). */
export type Pkcs11Handle = pkcs11js.Handle;

/** Options of {@link Pkcs11Session.open}. */
export interface Pkcs11SessionOptions {
  /** The vendor's PKCS#11 library. */
  module: string;
  /** The token, by label or by slot id; exactly one. */
  tokenLabel?: string;
  slot?: number;
  /** The user PIN, already resolved from its secret reference; it never appears in an error. */
  pin: string;
}

/** A PKCS#11 return value, e.g. `CKR_PIN_INCORRECT`, or undefined for another kind of error. */
export function ckrName(error: unknown): string | undefined {
  return error instanceof Error ? /\b(CKR_[A-Z0-9_]+)/.exec(error.message)?.[1] : undefined;
}

// Return values after which the session (or the login it carried) is gone, or the object
// handles it had resolved no longer name the objects (logout hides private objects, another
// process destroyed one): reconnect, look everything up again, retry once.
const RECOVERABLE = new Set([
  "CKR_SESSION_HANDLE_INVALID",
  "CKR_SESSION_CLOSED",
  "CKR_USER_NOT_LOGGED_IN",
  "CKR_OBJECT_HANDLE_INVALID",
  "CKR_KEY_HANDLE_INVALID",
  "CKR_DEVICE_REMOVED",
  "CKR_DEVICE_ERROR",
  "CKR_TOKEN_NOT_PRESENT",
  "CKR_TOKEN_NOT_RECOGNIZED",
]);

interface LoadedModule {
  pkcs11: Pkcs11;
  users: number;
}
const loaded = new Map<string, LoadedModule>();

/** Loads and initializes `path` for this process, or shares the instance already loaded. */
export function acquireModule(path: string): Pkcs11 {
  const existing = loaded.get(path);
  if (existing) {
    existing.users++;
    return existing.pkcs11;
  }
  const pkcs11 = new pkcs11js.PKCS11();
  try {
    pkcs11.load(path);
  } catch (error) {
    throw keyUnavailable(`The PKCS#11 module ${path} could not be loaded; check encryption.keyProvider.module.`, error);
  }
  try {
    // Async calls run on the libuv pool beside calls on the main thread: the library must lock.
    pkcs11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (error) {
    // Another copy of the binding in this process initialized the library first: use it.
    if (ckrName(error) !== "CKR_CRYPTOKI_ALREADY_INITIALIZED") {
      pkcs11.close();
      throw keyUnavailable(`The PKCS#11 module ${path} could not be initialized (${ckrName(error) ?? "unknown error"}).`, error);
    }
  }
  loaded.set(path, { pkcs11, users: 1 });
  return pkcs11;
}

/** Gives back what {@link acquireModule} returned; the last user finalizes the library. */
export function releaseModule(path: string): void {
  const entry = loaded.get(path);
  if (!entry || --entry.users > 0) return;
  loaded.delete(path);
  try {
    entry.pkcs11.C_Finalize();
  } catch {
    // Already finalized by the vendor library's own shutdown; nothing left to release.
  }
  entry.pkcs11.close();
}

/** A PKCS#11 slot id as a number (pkcs11js hands out native CK_ULONG buffers). */
export function slotNumber(handle: Pkcs11Handle): number {
  return handle.length >= 8 ? Number(handle.readBigUInt64LE(0)) : handle.readUInt32LE(0);
}

// CK_STATE values of a session logged in as the user (PKCS#11 2.40 §5.7; pkcs11js has no constants for them).
const CKS_RO_USER_FUNCTIONS = 1;
const CKS_RW_USER_FUNCTIONS = 3;

/**
 * Throws a recoverable CKR_USER_NOT_LOGGED_IN when the session lost its login. Needed before a
 * search: without the login, C_FindObjects does not fail, it just leaves private objects out.
 */
export function requireLogin(pkcs11: Pkcs11, session: Pkcs11Handle): void {
  const { state } = pkcs11.C_GetSessionInfo(session);
  if (state !== CKS_RW_USER_FUNCTIONS && state !== CKS_RO_USER_FUNCTIONS) throw new Error("CKR_USER_NOT_LOGGED_IN: the session is no longer logged in");
}

/** Whether `error` says the session, its login or its object handles were lost (worth one reconnect). */
export function isSessionLoss(error: unknown): boolean {
  return !(error instanceof BasaltError) && RECOVERABLE.has(ckrName(error) ?? "");
}

/** A logged-in session that runs one call at a time and recovers from a lost session. */
export class Pkcs11Session {
  private session: Pkcs11Handle | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private running = false;
  private readonly resetListeners = new Set<() => void>();

  private constructor(
    readonly pkcs11: Pkcs11,
    private readonly options: Pkcs11SessionOptions,
  ) {}

  /** Loads the module, finds the token and logs in; throws KEY_UNAVAILABLE (never with the PIN) when any step fails. */
  static async open(options: Pkcs11SessionOptions): Promise<Pkcs11Session> {
    const session = new Pkcs11Session(acquireModule(options.module), options);
    try {
      session.connect();
    } catch (error) {
      session.close();
      throw error;
    }
    return session;
  }

  /** Names the token in messages: by label or slot, never by anything secret. */
  get tokenName(): string {
    return this.options.tokenLabel !== undefined ? `token "${this.options.tokenLabel}"` : `slot ${this.options.slot}`;
  }

  /** Calls `listener` whenever the session was reopened, so cached object handles can be dropped. */
  onReset(listener: () => void): void {
    this.resetListeners.add(listener);
  }

  /**
   * Runs `fn` with the session, after every call queued before it. If the session, the login or
   * an object handle turned out to be lost, it reconnects and runs `fn` once more.
   */
  run<T>(fn: (pkcs11: Pkcs11, session: Pkcs11Handle) => T | Promise<T>): Promise<T> {
    const result = this.queue.then(() => this.attempt(fn));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Closes the session and releases the module (finalized when no other user in this process
   * holds it). A call still running finishes first: closing a session under an operation that
   * runs on another thread is undefined behaviour in many modules.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const release = () => {
      // No C_Logout: the login belongs to the whole process, and another user may still hold a session.
      if (this.session) {
        try {
          this.pkcs11.C_CloseSession(this.session);
        } catch {
          // Already closed by the token (a reset, a dropped connection).
        }
        this.session = undefined;
      }
      releaseModule(this.options.module);
    };
    if (this.running) void this.queue.then(release);
    else release();
  }

  private async attempt<T>(fn: (pkcs11: Pkcs11, session: Pkcs11Handle) => T | Promise<T>): Promise<T> {
    if (this.closed) throw keyUnavailable(`The PKCS#11 session to ${this.tokenName} is closed.`);
    this.running = true;
    try {
      return await this.withRecovery(fn);
    } finally {
      this.running = false;
    }
  }

  private async withRecovery<T>(fn: (pkcs11: Pkcs11, session: Pkcs11Handle) => T | Promise<T>): Promise<T> {
    try {
      return await fn(this.pkcs11, this.session ?? this.connect());
    } catch (error) {
      if (!isSessionLoss(error)) throw this.unusable(error);
      this.reset();
      try {
        return await fn(this.pkcs11, this.connect());
      } catch (again) {
        throw this.unusable(again);
      }
    }
  }

  private unusable(error: unknown): BasaltError {
    if (error instanceof BasaltError) return error;
    return keyUnavailable(`The PKCS#11 ${this.tokenName} could not be used (${ckrName(error) ?? "unknown error"}); content under its keys is unreadable until it is usable again.`, error);
  }

  private reset(): void {
    if (this.session) {
      try {
        this.pkcs11.C_CloseSession(this.session);
      } catch {
        // The session is the one that was lost; closing it only tidies up.
      }
    }
    this.session = undefined;
    for (const listener of this.resetListeners) listener();
  }

  private connect(): Pkcs11Handle {
    const slot = this.findSlot();
    let session: Pkcs11Handle;
    try {
      session = this.pkcs11.C_OpenSession(slot, pkcs11js.CKF_RW_SESSION | pkcs11js.CKF_SERIAL_SESSION);
    } catch (error) {
      throw keyUnavailable(`A session with the PKCS#11 ${this.tokenName} could not be opened (${ckrName(error) ?? "unknown error"}).`, error);
    }
    try {
      this.pkcs11.C_Login(session, pkcs11js.CKU_USER, this.options.pin);
    } catch (error) {
      const code = ckrName(error);
      // The login is per process: another session of this process may already hold it.
      if (code !== "CKR_USER_ALREADY_LOGGED_IN") {
        try {
          this.pkcs11.C_CloseSession(session);
        } catch {
          // Closing a session that failed to log in only tidies up.
        }
        const hint = code === "CKR_PIN_INCORRECT" || code === "CKR_PIN_LEN_RANGE" ? "; check the secret that encryption.keyProvider.pin names" : code === "CKR_PIN_LOCKED" ? "; the token's security officer must unlock it" : "";
        // The binding's error text is not kept as the cause: only its return value is reported.
        throw keyUnavailable(`Logging in to the PKCS#11 ${this.tokenName} failed (${code ?? "unknown error"})${hint}.`);
      }
    }
    this.session = session;
    return session;
  }

  private findSlot(): Pkcs11Handle {
    let slots: Pkcs11Handle[];
    try {
      slots = this.pkcs11.C_GetSlotList(true);
    } catch (error) {
      throw keyUnavailable(`The PKCS#11 module ${this.options.module} could not list its slots (${ckrName(error) ?? "unknown error"}).`, error);
    }
    for (const slot of slots) {
      if (this.options.slot !== undefined) {
        if (slotNumber(slot) === this.options.slot) return slot;
        continue;
      }
      // Token labels are blank-padded to 32 bytes.
      if (this.pkcs11.C_GetTokenInfo(slot).label.trimEnd() === this.options.tokenLabel) return slot;
    }
    throw keyUnavailable(`The PKCS#11 ${this.tokenName} was not found among the module's ${slots.length} token(s); check encryption.keyProvider.`);
  }
}
