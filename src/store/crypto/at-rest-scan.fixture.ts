// Test support for encryption at rest: finds a marker string in every byte of a directory's
// files, under every encoding it could be stored in (UTF-8, UTF-16, hex, base64 at each
// alignment). Suites write content holding a unique marker, scan, and expect no hit; each
// also scans a control written in the clear, so a scan that reads nothing cannot pass.
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";

async function* files(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (entry.isFile()) yield path;
    else assert.fail(`unexpected non-file ${path}`);
  }
}

/** The byte patterns under which the marker could sit in a file. */
export function markerPatterns(marker: string): Buffer[] {
  const utf8 = Buffer.from(marker, "utf8");
  const out = [utf8, Buffer.from(marker, "utf16le"), Buffer.from(utf8.toString("hex")), Buffer.from(utf8.toString("hex").toUpperCase())];
  // Base64 at each of the three byte alignments; the first and last 4 characters depend on neighbours.
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.concat([Buffer.alloc(shift), utf8]).toString("base64");
    out.push(Buffer.from(b64.slice(4, -4)));
  }
  return out;
}

/** Whether `bytes` hold the marker in any encoding. */
export function holdsMarker(bytes: Uint8Array | string, marker: string): boolean {
  const buffer = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return markerPatterns(marker).some((pattern) => buffer.includes(pattern));
}

/** Every file (relative path) under `dir` whose bytes contain the marker in any encoding. */
export async function scanForMarker(dir: string, marker: string): Promise<{ hits: string[]; filesScanned: number; bytesScanned: number }> {
  const hits: string[] = [];
  let filesScanned = 0;
  let bytesScanned = 0;
  for await (const path of files(dir)) {
    const bytes = await readFile(path);
    filesScanned++;
    bytesScanned += bytes.length;
    if (holdsMarker(bytes, marker)) hits.push(relative(dir, path));
  }
  return { hits, filesScanned, bytesScanned };
}
