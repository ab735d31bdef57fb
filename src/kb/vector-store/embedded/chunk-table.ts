// The embedded store's source of truth: one SQLite file (WAL, synchronous FULL) holding chunks,
// their vectors, interned metadata, an FTS5 index for lexical search, and the bookkeeping that
// lets the ANN index be replayed after a crash (a generation counter and tombstones). With a key,
// the whole file and its WAL are encrypted (SQLite3MultipleCiphers, AEGIS-256; decision
// 0025), and a file written in the clear by an earlier version is encrypted on first open.
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, copyFileSync, existsSync, fsyncSync, openSync, readSync, renameSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3-multiple-ciphers";
import { BasaltError, validation } from "../../../spec/errors.ts";
import type { Metadata } from "../filter.ts";
import type { SearchHit, StoredChunk } from "../vector-store.ts";
import { FTS_TOKENIZERS, type FtsTokenizer } from "./lexical-query.ts";
import { vectorToBlob } from "./vector-math.ts";

const FORMAT_VERSION = "1";
/** hnswlib-node takes labels as unsigned 32-bit integers. */
const MAX_LABEL = 0xffff_ffff;

/** Settings fixed when the index is created. */
export interface TableSettings {
  dimensions: number;
  tokenizer: FtsTokenizer;
  m: number;
  efConstruction: number;
}

/** A chunk row added by a write, as the ANN index and the metadata catalog need it. */
export interface AddedRow {
  label: number;
  metaId: number;
  metadataJson: string;
  vector: Float32Array;
}

/** A chunk row removed by a write. */
export interface RemovedRow {
  label: number;
}

/** What one committed write changed. */
export interface WriteResult {
  generation: number;
  added: AddedRow[];
  removed: RemovedRow[];
}

type Row = Record<string, unknown>;

/** What a chunk table's path holds: nothing yet, a database in the clear, or (anything else) an encrypted one. */
export type ChunkFileState = "missing" | "plaintext" | "encrypted";

/** The first 16 bytes of every SQLite file in the clear; an encrypted file starts with its random salt. */
const PLAINTEXT_HEADER = Buffer.from("SQLite format 3\0", "latin1");

/** Tells what is stored at `path` by its first bytes. */
export function chunkFileState(path: string): ChunkFileState {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw error;
  }
  try {
    const head = Buffer.alloc(PLAINTEXT_HEADER.length);
    const read = readSync(fd, head, 0, head.length, 0);
    // SQLite writes nothing until the first table: an empty file is a new database.
    if (read === 0) return "missing";
    return read === head.length && head.equals(PLAINTEXT_HEADER) ? "plaintext" : "encrypted";
  } finally {
    closeSync(fd);
  }
}

/** Options of {@link openChunkTable}. */
export interface ChunkTableOptions {
  /** The file's 256-bit key; the file is then encrypted, and a file in the clear is encrypted now. Not retained. */
  key?: Buffer;
}

/** Opens (creating when needed) the SQLite file and checks it matches the requested settings. */
export function openChunkTable(path: string, requested: TableSettings, options: ChunkTableOptions = {}): ChunkTable {
  const { key } = options;
  if (key && chunkFileState(path) === "plaintext") encryptPlaintextFile(path, key);
  let db: BetterSqlite3.Database;
  try {
    const isNew = !existsSync(path);
    // A short busy timeout: the lock another process holds lasts as long as that process.
    db = new BetterSqlite3(path, { timeout: 200 });
    if (isNew) chmodSync(path, 0o600);
  } catch (error) {
    throw openError(path, error, key !== undefined);
  }
  try {
    if (key) applyKey(db, key, "key");
    // Exclusive locking: the ANN index lives in this process's memory, so a second process
    // writing the same file would leave it stale. It gets SQLITE_BUSY instead.
    db.pragma("locking_mode = EXCLUSIVE");
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("cache_size = -65536");
    // Sorts and temporary indexes stay in memory: SQLite's temporary files are not encrypted.
    if (key) db.pragma("temp_store = MEMORY");
    // Reads through a memory map: hydrating the hits of a search at 100k chunks took 65 µs with
    // read() calls and 41 µs mapped (decision 0016). SQLite caps the map at 2 GB by default.
    // An encrypted file is never mapped (its pages are decrypted as they are read), whatever this says.
    db.pragma("mmap_size = 2147418112");
  } catch (error) {
    db.close();
    throw openError(path, error, key !== undefined);
  }
  try {
    return new ChunkTable(db, requested);
  } catch (error) {
    db.close();
    throw openError(path, error, key !== undefined);
  }
}

/**
 * Keys a connection (`key`) or encrypts its database in the clear (`rekey`) with AEGIS-256, an
 * authenticated cipher (each page sealed with its own nonce and tag), pinned so that a library
 * whose default changes still reads it. It reads a page several µs faster than SQLCipher 4's
 * AES-CBC + HMAC-SHA512, which a search pays once per hit (decision 0025). The key goes in raw
 * (`raw:` + 32 bytes): it is random, so a password hash over it would only slow every open.
 */
function applyKey(db: BetterSqlite3.Database, key: Buffer, how: "key" | "rekey"): void {
  db.pragma("cipher = 'aegis'");
  db.pragma("algorithm = 'aegis-256'");
  const raw = Buffer.concat([Buffer.from("raw:"), key]);
  try {
    if (how === "key") db.key(raw);
    else db.rekey(raw);
  } finally {
    raw.fill(0);
  }
}

/**
 * Encrypts a database written in the clear by an earlier version: its WAL is folded in, then a
 * copy is encrypted (rewritten whole, so deleted rows in free pages do not survive in the clear)
 * and renamed over it. A crash leaves the original whole, and the next open starts again.
 */
function encryptPlaintextFile(path: string, key: Buffer): void {
  const copy = `${path}.encrypting`;
  try {
    const plain = new BetterSqlite3(path, { timeout: 200 });
    try {
      plain.pragma("locking_mode = EXCLUSIVE");
      // Leaving WAL mode checkpoints the WAL into the file and deletes it.
      plain.pragma("journal_mode = DELETE");
    } finally {
      plain.close();
    }
    rmSync(copy, { force: true });
    rmSync(`${copy}-journal`, { force: true });
    copyFileSync(path, copy);
    chmodSync(copy, 0o600);
    const db = new BetterSqlite3(copy);
    try {
      db.pragma("journal_mode = DELETE");
      applyKey(db, key, "rekey");
    } finally {
      db.close();
    }
    fsyncPath(copy);
    renameSync(copy, path);
    fsyncPath(dirname(path));
  } catch (error) {
    rmSync(copy, { force: true });
    throw openError(path, error, false);
  }
}

function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function openError(path: string, error: unknown, keyed: boolean): unknown {
  if (error instanceof BasaltError) return error;
  const code = (error as { code?: string }).code;
  if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
    return new BasaltError("CONFLICT", `The vector index at ${path} is open in another process; an embedded index serves one process at a time.`, { cause: error });
  }
  if (code === "SQLITE_NOTADB") {
    // INTERNAL, as for any stored content that fails its integrity check (decision 0011): the bytes are our own.
    return new BasaltError(
      "INTERNAL",
      keyed
        ? `The vector index at ${path} does not open with its key: the key file belongs to another index, or the file is damaged.`
        : `The vector index at ${path} is encrypted; open it with its account's encryption.`,
      { cause: error },
    );
  }
  return error;
}

/** Typed access to the chunk database. Every method is synchronous (better-sqlite3). */
export class ChunkTable {
  readonly settings: TableSettings;
  /** Random per database file, so a graph saved for another database is never loaded. */
  readonly uid: string;
  readonly #db: BetterSqlite3.Database;
  #generation: number;
  readonly #statements: {
    byId: BetterSqlite3.Statement;
    byDocument: BetterSqlite3.Statement;
    insert: BetterSqlite3.Statement;
    deleteRow: BetterSqlite3.Statement;
    tombstone: BetterSqlite3.Statement;
    findMeta: BetterSqlite3.Statement;
    insertMeta: BetterSqlite3.Statement;
    refMeta: BetterSqlite3.Statement;
    unrefMeta: BetterSqlite3.Statement;
    dropMeta: BetterSqlite3.Statement;
    setGeneration: BetterSqlite3.Statement;
    chunkIds: BetterSqlite3.Statement;
    hydrate: BetterSqlite3.Statement;
    vectorsForMeta: BetterSqlite3.Statement;
    lexical: BetterSqlite3.Statement;
    lexicalTop: BetterSqlite3.Statement;
  };

  constructor(db: BetterSqlite3.Database, requested: TableSettings) {
    this.#db = db;
    this.settings = this.#ensureSchema(requested);
    this.#generation = Number(this.#setting("generation") ?? 0);
    this.uid = this.#setting("uid") ?? "0";
    const s = (sql: string): BetterSqlite3.Statement => db.prepare(sql);
    this.#statements = {
      byId: s("SELECT label, meta_id FROM chunks WHERE id = ?"),
      byDocument: s("SELECT label, meta_id FROM chunks WHERE document_id = ?"),
      insert: s(
        "INSERT INTO chunks (meta_id, vector, id, document_id, data_source_id, source_uri, parent_id, parent_text, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      deleteRow: s("DELETE FROM chunks WHERE label = ?"),
      tombstone: s("INSERT OR REPLACE INTO tombstones (label, generation) VALUES (?, ?)"),
      findMeta: s("SELECT id FROM metadata WHERE json = ?"),
      insertMeta: s("INSERT INTO metadata (json, refs) VALUES (?, 1)"),
      refMeta: s("UPDATE metadata SET refs = refs + 1 WHERE id = ?"),
      unrefMeta: s("UPDATE metadata SET refs = refs - 1 WHERE id = ?"),
      dropMeta: s("DELETE FROM metadata WHERE id = ? AND refs <= 0"),
      setGeneration: s("INSERT OR REPLACE INTO settings (key, value) VALUES ('generation', ?)"),
      chunkIds: s("SELECT id FROM chunks WHERE document_id = ? ORDER BY id"),
      hydrate: s(
        `SELECT c.label, c.id, c.document_id, c.data_source_id, c.source_uri, c.parent_id, c.parent_text, c.text, m.json
         FROM chunks c JOIN metadata m ON m.id = c.meta_id WHERE c.label IN (SELECT value FROM json_each(?))`,
      ),
      vectorsForMeta: s("SELECT label, vector FROM chunks WHERE meta_id IN (SELECT value FROM json_each(?))"),
      lexical: s("SELECT rowid AS label, bm25(chunks_fts) AS rank FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank"),
      lexicalTop: s("SELECT rowid AS label, bm25(chunks_fts) AS rank FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?"),
    };
  }

  #setting(key: string): string | undefined {
    return (this.#db.prepare("SELECT value FROM settings WHERE key = ?").get(key) as { value: string } | undefined)?.value;
  }

  #ensureSchema(requested: TableSettings): TableSettings {
    const db = this.#db;
    db.exec("CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    const stored = this.#setting("dimensions");
    if (stored === undefined) {
      // Columns read on hot paths (metadata id, vector) come first, so a vector scan never
      // reads the text stored after them.
      db.exec(`
        BEGIN;
        CREATE TABLE metadata (id INTEGER PRIMARY KEY, json TEXT NOT NULL UNIQUE, refs INTEGER NOT NULL);
        CREATE TABLE chunks (
          label INTEGER PRIMARY KEY AUTOINCREMENT,
          meta_id INTEGER NOT NULL,
          vector BLOB NOT NULL,
          id TEXT NOT NULL UNIQUE,
          document_id TEXT NOT NULL,
          data_source_id TEXT NOT NULL,
          source_uri TEXT NOT NULL,
          parent_id TEXT,
          parent_text TEXT,
          text TEXT NOT NULL
        );
        CREATE INDEX chunks_document ON chunks (document_id);
        CREATE INDEX chunks_meta ON chunks (meta_id);
        CREATE TABLE tombstones (label INTEGER PRIMARY KEY, generation INTEGER NOT NULL);
        CREATE VIRTUAL TABLE chunks_fts USING fts5 (text, content = 'chunks', content_rowid = 'label', tokenize = '${FTS_TOKENIZERS[requested.tokenizer]}');
        CREATE TRIGGER chunks_insert AFTER INSERT ON chunks BEGIN
          INSERT INTO chunks_fts (rowid, text) VALUES (new.label, new.text);
        END;
        CREATE TRIGGER chunks_delete AFTER DELETE ON chunks BEGIN
          INSERT INTO chunks_fts (chunks_fts, rowid, text) VALUES ('delete', old.label, old.text);
        END;
        COMMIT;
      `);
      const put = db.prepare("INSERT INTO settings (key, value) VALUES (?, ?)");
      db.transaction(() => {
        put.run("format", FORMAT_VERSION);
        put.run("dimensions", String(requested.dimensions));
        put.run("tokenizer", requested.tokenizer);
        put.run("m", String(requested.m));
        put.run("ef_construction", String(requested.efConstruction));
        put.run("generation", "0");
        put.run("uid", randomBytes(8).toString("hex"));
      })();
      return requested;
    }
    const dimensions = Number(stored);
    if (dimensions !== requested.dimensions) {
      throw validation("dimensions", `the index holds ${dimensions}-dimension vectors; it cannot take ${requested.dimensions}-dimension ones (use an embedding model with ${dimensions} dimensions, or a new knowledge base)`);
    }
    // Graph and tokenizer settings stay as created: changing them needs a rebuild of the data.
    return {
      dimensions,
      tokenizer: (this.#setting("tokenizer") ?? "porter") as FtsTokenizer,
      m: Number(this.#setting("m") ?? requested.m),
      efConstruction: Number(this.#setting("ef_construction") ?? requested.efConstruction),
    };
  }

  /** The last committed write's number; it grows by one with every write that changed something. */
  get generation(): number {
    return this.#generation;
  }

  /** The highest label ever given out (labels are never reused). */
  maxLabel(): number {
    const row = this.#db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'chunks'").get() as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  /**
   * Commits one write atomically: documents deleted first, then chunks inserted or replaced by
   * id (a replaced chunk gets a new label; its old one becomes a tombstone).
   */
  write(change: { upserts?: readonly StoredChunk[]; deleteDocuments?: readonly string[] }): WriteResult {
    const st = this.#statements;
    const generation = this.#generation + 1;
    const added: AddedRow[] = [];
    const removed: RemovedRow[] = [];
    const remove = (row: Row): void => {
      const label = Number(row.label);
      st.deleteRow.run(label);
      st.tombstone.run(label, generation);
      st.unrefMeta.run(row.meta_id);
      st.dropMeta.run(row.meta_id);
      removed.push({ label });
    };
    const run = this.#db.transaction(() => {
      for (const documentId of change.deleteDocuments ?? []) {
        for (const row of st.byDocument.all(documentId) as Row[]) remove(row);
      }
      for (const chunk of change.upserts ?? []) {
        const existing = st.byId.get(chunk.id) as Row | undefined;
        if (existing) remove(existing);
        const metadataJson = JSON.stringify(chunk.metadata);
        const meta = st.findMeta.get(metadataJson) as { id: number } | undefined;
        let metaId: number;
        if (meta) {
          metaId = meta.id;
          st.refMeta.run(metaId);
        } else {
          metaId = Number(st.insertMeta.run(metadataJson).lastInsertRowid);
        }
        const label = Number(
          st.insert.run(metaId, vectorToBlob(chunk.vector), chunk.id, chunk.documentId, chunk.dataSourceId, chunk.sourceUri, chunk.parent?.id ?? null, chunk.parent?.text ?? null, chunk.text).lastInsertRowid,
        );
        if (label > MAX_LABEL) throw new BasaltError("INTERNAL", "The vector index ran out of chunk labels; rebuild it by syncing into a new knowledge base.");
        added.push({ label, metaId, metadataJson, vector: chunk.vector });
      }
      if (added.length > 0 || removed.length > 0) st.setGeneration.run(String(generation));
    });
    run.immediate();
    if (added.length > 0 || removed.length > 0) this.#generation = generation;
    return { generation: this.#generation, added, removed };
  }

  /** Ids of a document's chunks, sorted. */
  chunkIds(documentId: string): string[] {
    return (this.#statements.chunkIds.all(documentId) as Array<{ id: string }>).map((r) => r.id);
  }

  /** The chunks for labels, keyed by label (labels with no row are absent). */
  hydrate(labels: readonly number[]): Map<number, SearchHit["chunk"]> {
    const out = new Map<number, SearchHit["chunk"]>();
    if (labels.length === 0) return out;
    for (const row of this.#statements.hydrate.all(JSON.stringify(labels)) as Row[]) {
      const chunk: SearchHit["chunk"] = {
        id: row.id as string,
        documentId: row.document_id as string,
        dataSourceId: row.data_source_id as string,
        text: row.text as string,
        sourceUri: row.source_uri as string,
        metadata: JSON.parse(row.json as string) as Metadata,
      };
      if (row.parent_id !== null) chunk.parent = { id: row.parent_id as string, text: row.parent_text as string };
      out.set(Number(row.label), chunk);
    }
    return out;
  }

  /** Labels and vectors of the chunks carrying any of these metadata ids. */
  vectorsForMeta(metaIds: Iterable<number>): IterableIterator<{ label: number; vector: Buffer }> {
    return this.#statements.vectorsForMeta.iterate(JSON.stringify([...metaIds])) as IterableIterator<{ label: number; vector: Buffer }>;
  }

  /** Every chunk's label and vector, or only those above a label (added since an index save). */
  vectors(afterLabel = 0): IterableIterator<{ label: number; vector: Buffer }> {
    return this.#db.prepare("SELECT label, vector FROM chunks WHERE label > ? ORDER BY label").iterate(afterLabel) as IterableIterator<{ label: number; vector: Buffer }>;
  }

  /** Labels deleted by writes after `generation`. */
  tombstonesAfter(generation: number): number[] {
    return (this.#db.prepare("SELECT label FROM tombstones WHERE generation > ?").all(generation) as Array<{ label: number }>).map((r) => r.label);
  }

  /** Forgets tombstones an index saved at `generation` already reflects. */
  purgeTombstones(generation: number): void {
    this.#db.transaction(() => {
      this.#db.prepare("DELETE FROM tombstones WHERE generation <= ?").run(generation);
      this.#db.prepare("INSERT OR REPLACE INTO settings (key, value) VALUES ('purged_through', ?)").run(String(generation));
    })();
  }

  /** Tombstones up to this generation are gone: a graph saved before it cannot be replayed. */
  get purgedThrough(): number {
    return Number(this.#setting("purged_through") ?? 0);
  }

  /** Interned metadata rows. */
  metadataRows(): Array<{ id: number; json: string }> {
    return this.#db.prepare("SELECT id, json FROM metadata").all() as Array<{ id: number; json: string }>;
  }

  /** Every live chunk's label and metadata id. */
  labelRows(): IterableIterator<{ label: number; meta_id: number }> {
    return this.#db.prepare("SELECT label, meta_id FROM chunks").iterate() as IterableIterator<{ label: number; meta_id: number }>;
  }

  /** Chunks matching an FTS5 expression, best first, as (label, bm25) pairs; stop iterating early to save work. */
  lexical(match: string): IterableIterator<{ label: number; rank: number }> {
    return this.#statements.lexical.iterate(match) as IterableIterator<{ label: number; rank: number }>;
  }

  /** The `limit` best chunks for an FTS5 expression. */
  lexicalTop(match: string, limit: number): Array<{ label: number; rank: number }> {
    return this.#statements.lexicalTop.all(match, limit) as Array<{ label: number; rank: number }>;
  }

  /** Chunks stored (a full count; the index keeps its own in memory). */
  count(): number {
    return (this.#db.prepare("SELECT count(*) AS n FROM chunks").get() as { n: number }).n;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
