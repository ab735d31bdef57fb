// The bytes and metadata of a directly ingested document: inline text or bytes as given (named
// with an extension from the MIME type, since the parser picks formats by name), S3 content and
// metadata sidecars read from the configured bucket.
import { extname } from "node:path";
import type { ValidatedDocument } from "../store/records.ts";
import { parseSidecar, type SidecarMetadata } from "./sidecar.ts";
import type { DocumentSource } from "./sources/source.ts";

/** File extensions by MIME type, for inline byte content. */
const EXTENSIONS: Record<string, string> = {
  "text/plain": ".txt",
  "text/markdown": ".md",
  "text/html": ".html",
  "text/csv": ".csv",
  "application/pdf": ".pdf",
  "application/msword": ".doc",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
  "application/vnd.ms-excel": ".xls",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
  "image/png": ".png",
  "image/jpeg": ".jpg",
  "image/tiff": ".tiff",
};

/** Opens the bucket an S3 URI names, for an account. */
export type OpenSource = (bucket: string, accountId: string) => DocumentSource;

/** A document's content, ready for processing. */
export interface DirectContent {
  bytes: Uint8Array;
  /** The name the parser picks the format by. */
  fileName: string;
  /** What Retrieve reports as the document's location. */
  location: string;
}

/** `s3://bucket/key` → its parts. */
function s3Parts(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new Error(`${uri} is not an s3://bucket/key URI`);
  return { bucket: match[1]!, key: match[2]! };
}

async function read(openSource: OpenSource, uri: string, accountId: string): Promise<{ bytes: Buffer; key: string }> {
  const { bucket, key } = s3Parts(uri);
  const source = openSource(bucket, accountId);
  try {
    return { bytes: await source.read(key), key };
  } finally {
    await source.close();
  }
}

/** The document's bytes, its file name and location. */
export async function directContent(document: ValidatedDocument, accountId: string, openSource: OpenSource): Promise<DirectContent> {
  const content = document.content;
  const name = document.documentId.replace(/[^\w.-]+/g, "_");
  switch (content.type) {
    case "TEXT":
      return { bytes: Buffer.from(content.text, "utf8"), fileName: `${name}.txt`, location: document.documentId };
    case "BYTE": {
      const extension = EXTENSIONS[content.mimeType.split(";")[0]!.trim().toLowerCase()] ?? (extname(name) || `.${content.mimeType.split("/")[1] ?? "bin"}`);
      return { bytes: content.data, fileName: name.endsWith(extension) ? name : `${name}${extension}`, location: document.documentId };
    }
    case "S3": {
      const { bytes, key } = await read(openSource, content.uri, accountId);
      return { bytes, fileName: key.slice(key.lastIndexOf("/") + 1), location: content.uri };
    }
  }
}

/** The document's metadata: inline attributes, or its S3 sidecar parsed; undefined without any. */
export async function directMetadata(document: ValidatedDocument, accountId: string, openSource: OpenSource): Promise<SidecarMetadata | undefined> {
  const metadata = document.metadata;
  if (!metadata) return undefined;
  if (metadata.type === "IN_LINE_ATTRIBUTE") return { attributes: metadata.attributes, forEmbedding: [] };
  const { bytes, key } = await read(openSource, metadata.uri, accountId);
  return parseSidecar(bytes, key);
}
