// GGUF file checks shared by `models import` and `models pull`: the magic bytes, sha256,
// and where a file lands in the data directory (and which model id it will be served as).
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { localModelId } from "../models/registry.ts";

/** Every GGUF file starts with these four bytes, then a little-endian uint32 format version. */
export const GGUF_MAGIC = Buffer.from("GGUF", "ascii");

/** What the first bytes of a file say about it. */
export type GgufHeader = { ok: true; version: number } | { ok: false; reason: string };

/** True when `bytes` begins with the GGUF magic. */
export function hasGgufMagic(bytes: Uint8Array): boolean {
  return bytes.length >= GGUF_MAGIC.length && GGUF_MAGIC.equals(bytes.subarray(0, GGUF_MAGIC.length));
}

/** Reads the first eight bytes of `path` and checks that it is a GGUF file. */
export async function readGgufHeader(path: string): Promise<GgufHeader> {
  const handle = await open(path, "r");
  try {
    const bytes = Buffer.alloc(8);
    const { bytesRead } = await handle.read(bytes, 0, 8, 0);
    if (bytesRead < 8) return { ok: false, reason: `it is only ${bytesRead} bytes long, too short for a GGUF header` };
    if (!hasGgufMagic(bytes)) {
      const shown = JSON.stringify(bytes.subarray(0, 4).toString("latin1"));
      return { ok: false, reason: `it starts with ${shown} instead of the GGUF magic "GGUF"` };
    }
    return { ok: true, version: bytes.readUInt32LE(4) };
  } finally {
    await handle.close();
  }
}

/** The hex sha256 of a file, read as a stream so large models need no memory. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The folder the server scans for GGUF files. */
export function modelsDir(dataDir: string): string {
  return join(dataDir, "models");
}

/** Normalises a user-chosen name or a remote file name into `<stem>.gguf`. */
export function ggufFileName(name: string): string {
  const base = basename(name);
  return /\.gguf$/i.test(base) ? base : `${base}.gguf`;
}

/**
 * Another file in the models folder that would be served under the same id as `fileName`
 * (`Foo.gguf` and `foo.gguf` both become `local.foo`), which would make the server refuse to start.
 */
export async function findIdClash(dir: string, fileName: string): Promise<string | undefined> {
  const id = localModelId(fileName);
  let files: string[];
  try {
    files = await readdir(dir);
  } catch {
    return undefined;
  }
  return files.find((f) => f !== fileName && /\.gguf$/i.test(f) && localModelId(f) === id);
}

/** Validates a user-supplied sha256 digest and returns it in lower case. */
export function normaliseSha256(value: string): string {
  const hex = value.trim().toLowerCase().replace(/^sha256:/, "");
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`"${value}" is not a sha256 digest (64 hexadecimal characters).`);
  return hex;
}
