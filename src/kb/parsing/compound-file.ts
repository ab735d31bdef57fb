// Recognises OLE compound files (the container of Word 97–2003 and Excel 97–2003 documents, and
// of password-protected Office Open XML files, which are stored encrypted inside one).
import * as XLSX from "@e965/xlsx";

const MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/** What an OLE compound file holds, as far as parsing cares. */
export type CompoundFileKind = "none" | "encrypted" | "other";

/**
 * "none" when the bytes are not a compound file, "encrypted" when they hold an encrypted Office
 * Open XML package (an `EncryptionInfo` stream), "other" for any other compound file.
 */
export function compoundFileKind(bytes: Uint8Array): CompoundFileKind {
  if (!MAGIC.every((byte, i) => bytes[i] === byte)) return "none";
  const container = readCompoundFile(bytes);
  return container && XLSX.CFB.find(container, "EncryptionInfo") ? "encrypted" : "other";
}

/** The parsed container (SheetJS's bundled `cfb`), or undefined when it cannot be read. */
export function readCompoundFile(bytes: Uint8Array): CompoundContainer | undefined {
  try {
    return XLSX.CFB.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { type: "buffer" }) as CompoundContainer;
  } catch {
    return undefined;
  }
}

/** The subset of SheetJS's CFB container this code reads. */
export interface CompoundContainer {
  FileIndex: Array<{ name: string; content?: Uint8Array | number[] }>;
}

/** The bytes of a named stream of a compound file, if present. */
export function compoundStream(container: CompoundContainer, name: string): Uint8Array | undefined {
  const entry = XLSX.CFB.find(container, name) as { content?: Uint8Array | number[] } | null;
  if (!entry?.content) return undefined;
  return entry.content instanceof Uint8Array ? entry.content : Uint8Array.from(entry.content);
}
