// How LocalObjectStore lays keys out on disk. Each key segment becomes a name of lowercase
// ASCII: bytes outside [a-z0-9._-] are percent-encoded, so keys that differ only in case or in
// Unicode normalisation stay apart on case-insensitive file systems (macOS, Windows) and no
// name can climb out of the root. Directories end in `.d`, committed objects in `.meta` (the
// sidecar), data in `.<id>.blob`, unfinished writes in `.tmp`; the suffixes never collide.
// A segment too long to be a file name once encoded gets a hashed name (marked by `~`, which
// encoding never emits); its real segment is in the sidecar, or for a directory in `.segment`.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rmdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { compareKeys } from "./keys.ts";

/** The sidecar of one object: the commit point of a write. */
export interface StoredMeta {
  version: 1;
  key: string;
  /** Id of the data file `<name>.<blob>.blob` beside the sidecar. */
  blob: string;
  size: number;
  etag: string;
  contentType: string;
  metadata: Record<string, string>;
  lastModified: string;
}

/** Where one key lives. */
export interface KeyPaths {
  /** The directory holding the object's files. */
  dir: string;
  /** The encoded last segment, stem of every file of this object. */
  name: string;
  metaPath: string;
}

/** A key found by {@link walkKeys}, with its sidecar when the walk had to read it. */
export interface WalkedKey {
  key: string;
  metaPath: string;
  meta?: StoredMeta;
}

// Room for the longest suffix (`.<16 hex>.blob`) within the usual 255-byte name limit.
const MAX_ENCODED_NAME = 200;
const SEGMENT_FILE = ".segment";

function isSafeByte(byte: number): boolean {
  return (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x2e || byte === 0x5f || byte === 0x2d;
}

/** The on-disk name of one key segment. */
export function encodeSegment(segment: string): string {
  let encoded = "";
  for (const byte of Buffer.from(segment, "utf8")) {
    encoded += isSafeByte(byte) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  if (encoded.length <= MAX_ENCODED_NAME) return encoded;
  const digest = createHash("sha256").update(segment, "utf8").digest("hex").slice(0, 32);
  // Keep a readable start, cut before a partial %XX escape.
  const head = encoded.slice(0, 120).replace(/%[0-9A-F]?$/, "");
  return `${head}~${digest}`;
}

/** The segment an encoded name stands for, or undefined for a hashed or foreign name. */
function decodeName(name: string): string | undefined {
  if (name.includes("~")) return undefined;
  try {
    return decodeURIComponent(name);
  } catch {
    return undefined;
  }
}

/** The paths of a (validated) key under a root. */
export function keyPaths(root: string, key: string): KeyPaths {
  const segments = key.split("/");
  const last = segments.pop() as string;
  const dir = join(root, ...segments.map((s) => `${encodeSegment(s)}.d`));
  const name = encodeSegment(last);
  return { dir, name, metaPath: join(dir, `${name}.meta`) };
}

/** A fresh random id for a data or temp file. */
export function newFileId(): string {
  return randomBytes(8).toString("hex");
}

/** Creates the directories of a key, naming each hashed one in its `.segment` file. */
export async function ensureDirectories(root: string, key: string): Promise<void> {
  const segments = key.split("/").slice(0, -1);
  const hashed: Array<{ dir: string; segment: string }> = [];
  let dir = root;
  for (const segment of segments) {
    const name = encodeSegment(segment);
    dir = join(dir, `${name}.d`);
    if (name.includes("~")) hashed.push({ dir, segment });
  }
  await mkdir(dir, { recursive: true });
  for (const { dir: hashedDir, segment } of hashed) {
    const file = join(hashedDir, SEGMENT_FILE);
    if (await stat(file).then(() => true, () => false)) continue;
    // temp + rename, so a concurrent walk never reads half a name
    const temp = join(hashedDir, `${SEGMENT_FILE}.${newFileId()}.tmp`);
    await writeFile(temp, segment, "utf8");
    await rename(temp, file);
  }
}

/** Reads and parses a sidecar; undefined when it is gone. */
export async function readMeta(metaPath: string): Promise<StoredMeta | undefined> {
  try {
    return JSON.parse(await readFile(metaPath, "utf8")) as StoredMeta;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw error;
  }
}

/** Options of {@link walkKeys}. */
export interface WalkOptions {
  prefix: string;
  /** Only keys after this one. */
  startAfter?: string;
}

interface Entry {
  kind: "file" | "dir";
  /** The key (file) or key prefix ending in `/` (directory) the entry stands for. */
  key: string;
  path: string;
  meta?: StoredMeta;
}

async function entriesOf(dir: string, keyPrefix: string): Promise<Entry[]> {
  let dirents;
  try {
    dirents = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const entries: Entry[] = [];
  for (const dirent of dirents) {
    const path = join(dir, dirent.name);
    if (dirent.isFile() && dirent.name.endsWith(".meta")) {
      const name = dirent.name.slice(0, -5);
      const segment = decodeName(name);
      if (segment !== undefined) {
        entries.push({ kind: "file", key: keyPrefix + segment, path });
      } else if (name.includes("~")) {
        const meta = await readMeta(path);
        if (meta) entries.push({ kind: "file", key: meta.key, path, meta });
      }
    } else if (dirent.isDirectory() && dirent.name.endsWith(".d")) {
      const name = dirent.name.slice(0, -2);
      let segment = decodeName(name);
      if (segment === undefined && name.includes("~")) segment = await readFile(join(path, SEGMENT_FILE), "utf8").catch(() => undefined);
      if (segment !== undefined) entries.push({ kind: "dir", key: `${keyPrefix}${segment}/`, path });
    }
  }
  return entries.sort((a, b) => compareKeys(a.key, b.key));
}

/**
 * Yields committed keys under a prefix in UTF-8 byte order. A directory's keys all share its
 * `segment/` prefix, so visiting siblings sorted by key (files) and prefix (directories) gives
 * the global order, and whole directories before `startAfter` or outside `prefix` are skipped.
 */
export async function* walkKeys(dir: string, options: WalkOptions, keyPrefix = ""): AsyncGenerator<WalkedKey> {
  const { prefix, startAfter } = options;
  for (const entry of await entriesOf(dir, keyPrefix)) {
    if (entry.kind === "file") {
      if (!entry.key.startsWith(prefix)) continue;
      if (startAfter !== undefined && compareKeys(entry.key, startAfter) <= 0) continue;
      yield { key: entry.key, metaPath: entry.path, meta: entry.meta };
    } else {
      if (!entry.key.startsWith(prefix) && !prefix.startsWith(entry.key)) continue;
      if (startAfter !== undefined && compareKeys(entry.key, startAfter) < 0 && !startAfter.startsWith(entry.key)) continue;
      yield* walkKeys(entry.path, options, entry.key);
    }
  }
}

/** Removes now-empty directories from `dir` up to (not including) `root`; a busy one stops the climb. */
export async function removeEmptyParents(root: string, dir: string): Promise<void> {
  let current = dir;
  while (current.length > root.length && current.startsWith(root)) {
    try {
      await rmdir(current);
    } catch {
      return; // not empty (or a hashed directory keeping its .segment), or already gone
    }
    current = join(current, "..");
  }
}
