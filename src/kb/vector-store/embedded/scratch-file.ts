// A file for hnswlib's graph in plaintext while it is sealed or opened: hnswlib reads and writes
// graphs only by path, and its reader seeks, so a pipe will not do. On Linux the file is unlinked
// as soon as it is created and reached through /proc/self/fd, so it never has a name: a crash
// leaves nothing behind and no other process can open it. Elsewhere it keeps its name
// (`hnsw-scratch-….tmp`, 0600 in the index's 0700 directory) until it is closed, and the next
// open removes a leftover.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { open, unlink } from "node:fs/promises";
import { join } from "node:path";

const ANONYMOUS = process.platform === "linux" && existsSync("/proc/self/fd");

/**
 * Calls `use` with the path of a fresh, empty scratch file, then removes it. The path opens like
 * any file's (hnswlib's, a stream's) until `use` settles; the handle held here keeps it alive.
 */
export async function withScratchFile<T>(dir: string, use: (path: string) => Promise<T>): Promise<T> {
  const named = join(dir, `hnsw-scratch-${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(named, "wx+", 0o600);
  let linked = true;
  try {
    if (ANONYMOUS) {
      await unlink(named);
      linked = false;
    }
    return await use(ANONYMOUS ? `/proc/self/fd/${handle.fd}` : named);
  } finally {
    await handle.close();
    if (linked) await unlink(named).catch(() => undefined);
  }
}
