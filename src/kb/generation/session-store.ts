// RetrieveAndGenerate sessions in the metadata database (migration 0005): the first call
// creates one (a UUID, as Bedrock's), later calls read its recent turns for the prompt and add
// their own. A session belongs to the account that created it and expires `ttlMs` after its
// last use (24 h by default, Bedrock's session lifetime); an unknown, expired or foreign id is
// refused with the same error, so the answer reveals nothing about other accounts. Turn text is
// encrypted at rest with the account's data key.
import { randomUUID } from "node:crypto";
import { BasaltError } from "../../spec/errors.ts";
import type { EnvelopeEncryption } from "../../store/crypto/envelope-encryption.ts";
import type { Database } from "../../store/db/database.ts";
import type { ConversationTurn } from "./prompt-template.ts";

/** Bedrock keeps a RetrieveAndGenerate session for 24 hours. */
export const DEFAULT_SESSION_TTL_MS = 24 * 60 * 60 * 1000;
/** Turns read back for a prompt: the most recent ones. */
export const DEFAULT_HISTORY_TURNS = 10;
/** Expired sessions are swept at most this often. */
const SWEEP_INTERVAL_MS = 60_000;

/** Where RetrieveAndGenerate keeps its sessions. */
export interface RagSessionStore {
  /** Creates a session for the account; returns its id. */
  create(accountId: string): Promise<string>;
  /**
   * The session's most recent turns, oldest first, and renews its lifetime. Throws a
   * ValidationException when the id is unknown, expired or another account's.
   */
  open(accountId: string, sessionId: string): Promise<ConversationTurn[]>;
  /** Adds one turn (`requestId` makes a retried append harmless). */
  append(accountId: string, sessionId: string, turn: ConversationTurn & { requestId: string }): Promise<void>;
}

/** Options of {@link DbRagSessionStore}. */
export interface DbRagSessionStoreOptions {
  db: Database;
  encryption: EnvelopeEncryption;
  ttlMs?: number;
  historyTurns?: number;
  /** The clock (tests move it). */
  now?: () => number;
}

function invalidSession(sessionId: string): BasaltError {
  // Bedrock's wording for a session id it does not know.
  return new BasaltError("VALIDATION", `Session with Id ${sessionId} is not valid. Please check and try again.`);
}

function context(sessionId: string): string {
  return `kb-rag-session/${sessionId}`;
}

/** Sessions in the metadata database, turns encrypted per account. */
export class DbRagSessionStore implements RagSessionStore {
  readonly #db: Database;
  readonly #encryption: EnvelopeEncryption;
  readonly #ttlMs: number;
  readonly #historyTurns: number;
  readonly #now: () => number;
  #lastSweep = 0;

  constructor(options: DbRagSessionStoreOptions) {
    this.#db = options.db;
    this.#encryption = options.encryption;
    this.#ttlMs = options.ttlMs ?? DEFAULT_SESSION_TTL_MS;
    this.#historyTurns = options.historyTurns ?? DEFAULT_HISTORY_TURNS;
    this.#now = options.now ?? Date.now;
  }

  async create(accountId: string): Promise<string> {
    const id = randomUUID();
    const now = this.#now();
    await this.#sweep(now);
    await this.#db.execute("INSERT INTO kb_rag_sessions (id, account_id, created_at, last_used_at, expires_at) VALUES ($1, $2, $3, $3, $4)", [id, accountId, now, now + this.#ttlMs]);
    return id;
  }

  async open(accountId: string, sessionId: string): Promise<ConversationTurn[]> {
    const now = this.#now();
    const renewed = await this.#db.execute("UPDATE kb_rag_sessions SET last_used_at = $1, expires_at = $2 WHERE id = $3 AND account_id = $4 AND expires_at > $1", [
      now,
      now + this.#ttlMs,
      sessionId,
      accountId,
    ]);
    if (renewed.changes === 0) throw invalidSession(sessionId);
    const rows = await this.#db.query<{ content: Uint8Array }>(
      "SELECT content FROM kb_rag_session_turns WHERE session_id = $1 ORDER BY at DESC, request_id DESC LIMIT $2",
      [sessionId, this.#historyTurns],
    );
    const turns = await Promise.all(rows.reverse().map(async (row) => JSON.parse((await this.#encryption.decrypt(accountId, row.content, context(sessionId))).toString("utf8")) as ConversationTurn));
    return turns;
  }

  async append(accountId: string, sessionId: string, turn: ConversationTurn & { requestId: string }): Promise<void> {
    const content = await this.#encryption.encrypt(accountId, JSON.stringify({ question: turn.question, answer: turn.answer }), context(sessionId));
    const now = this.#now();
    await this.#db.transaction(async (tx) => {
      const owned = await tx.query("SELECT id FROM kb_rag_sessions WHERE id = $1 AND account_id = $2", [sessionId, accountId]);
      if (owned.length === 0) throw invalidSession(sessionId);
      // Turns keep their order even when two land in the same millisecond.
      const [last] = await tx.query<{ at: number | string | null }>("SELECT MAX(at) AS at FROM kb_rag_session_turns WHERE session_id = $1", [sessionId]);
      const at = Math.max(now, Number(last?.at ?? 0) + 1);
      await tx.execute("INSERT INTO kb_rag_session_turns (session_id, request_id, at, content) VALUES ($1, $2, $3, $4) ON CONFLICT (session_id, request_id) DO NOTHING", [
        sessionId,
        turn.requestId,
        at,
        content,
      ]);
    });
  }

  /** Deletes expired sessions (their turns go with them), at most once a minute. */
  async #sweep(now: number): Promise<void> {
    if (now - this.#lastSweep < SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now;
    await this.#db.execute("DELETE FROM kb_rag_sessions WHERE expires_at <= $1", [now]);
  }
}
