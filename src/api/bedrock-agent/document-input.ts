// Direct-ingestion bodies (IngestKnowledgeBaseDocuments, and the document identifiers of Get and
// DeleteKnowledgeBaseDocuments), validated as Bedrock does: the content's dataSourceType matches
// the data source's; an S3 data source takes documents by S3 location only, in its own bucket; a
// document's metadata is given the same way as its content (inline with inline, S3 with S3).
import type { DataSourceRecord, ValidatedDocument } from "../../kb/store/records.ts";
import type { Metadata } from "../../kb/vector-store/filter.ts";
import { validation } from "../../spec/errors.ts";
import { array, base64, number, object, oneOf, optionalString, string, type Obj } from "../../util/validate.ts";
import { required } from "./input.ts";

/** Documents per IngestKnowledgeBaseDocuments request (Bedrock's quota for the API). */
export const MAX_INGEST_DOCUMENTS = 25;
/** Identifiers per Get/DeleteKnowledgeBaseDocuments request. */
export const MAX_DOCUMENT_IDENTIFIERS = 10;
/** Inline text and inline bytes: 5 MiB each, as Bedrock's TextContentDoc and ByteContentBlob. */
const MAX_INLINE_LENGTH = 5 * 1024 * 1024;
/** Custom document ids, in UTF-8 bytes (they key the document records). */
const MAX_CUSTOM_ID_BYTES = 2048;
const MAX_ATTRIBUTES = 50;
const S3_URI_PATTERN = /^s3:\/\/[a-z0-9][.\-a-z0-9]{1,61}[a-z0-9]\/.+$/;
const ACCOUNT_ID_PATTERN = /^[0-9]{12}$/;
const VALUE_MEMBERS = { STRING: "stringValue", NUMBER: "numberValue", BOOLEAN: "booleanValue", STRING_LIST: "stringListValue" } as const;

/** The bucket a data source's `bucketArn` names (`arn:aws:s3:::<bucket>`). */
export function bucketOf(dataSource: DataSourceRecord): string | undefined {
  return dataSource.configuration.type === "S3" ? dataSource.configuration.s3Configuration.bucketArn.split(":::")[1] : undefined;
}

/** Validates the `documents` of an IngestKnowledgeBaseDocuments body for `dataSource`. */
export function parseIngestDocuments(value: unknown, dataSource: DataSourceRecord): ValidatedDocument[] {
  const documents = array(required(value, "documents"), "documents", { min: 1, max: MAX_INGEST_DOCUMENTS });
  const seen = new Set<string>();
  return documents.map((item, i) => {
    const path = `documents.${i}`;
    const doc = parseDocument(object(item, path), path, dataSource);
    if (seen.has(doc.documentId)) throw validation(`${path}.content`, `names the document ${doc.documentId} a second time in this request`);
    seen.add(doc.documentId);
    return doc;
  });
}

/** Validates the `documentIdentifiers` of a Get or DeleteKnowledgeBaseDocuments body; returns the document ids. */
export function parseDocumentIdentifiers(value: unknown, dataSource: DataSourceRecord): string[] {
  const field = "documentIdentifiers";
  const identifiers = array(required(value, field), field, { min: 1, max: MAX_DOCUMENT_IDENTIFIERS });
  return identifiers.map((item, i) => {
    const path = `${field}.${i}`;
    const identifier = object(item, path);
    const type = sourceType(identifier.dataSourceType, `${path}.dataSourceType`, dataSource);
    if (type === "S3") return s3Uri(object(required(identifier.s3, `${path}.s3`), `${path}.s3`).uri, `${path}.s3.uri`, dataSource);
    return customId(object(required(identifier.custom, `${path}.custom`), `${path}.custom`).id, `${path}.custom.id`);
  });
}

function parseDocument(body: Obj, path: string, dataSource: DataSourceRecord): ValidatedDocument {
  const contentPath = `${path}.content`;
  const content = object(required(body.content, contentPath), contentPath);
  const type = sourceType(content.dataSourceType, `${contentPath}.dataSourceType`, dataSource);
  let doc: ValidatedDocument;
  let inline: boolean;
  if (type === "S3") {
    const s3Path = `${contentPath}.s3`;
    const location = object(required(object(required(content.s3, s3Path), s3Path).s3Location, `${s3Path}.s3Location`), `${s3Path}.s3Location`);
    const uri = s3Uri(location.uri, `${s3Path}.s3Location.uri`, dataSource);
    doc = { documentId: uri, content: { type: "S3", uri } };
    inline = false;
  } else {
    const customPath = `${contentPath}.custom`;
    const custom = object(required(content.custom, customPath), customPath);
    const identifierPath = `${customPath}.customDocumentIdentifier`;
    const documentId = customId(object(required(custom.customDocumentIdentifier, identifierPath), identifierPath).id, `${identifierPath}.id`);
    const source = oneOf(required(custom.sourceType, `${customPath}.sourceType`), `${customPath}.sourceType`, ["IN_LINE", "S3_LOCATION"] as const);
    inline = source === "IN_LINE";
    if (inline) {
      doc = { documentId, content: inlineContent(required(custom.inlineContent, `${customPath}.inlineContent`), `${customPath}.inlineContent`) };
    } else {
      const location = s3Location(required(custom.s3Location, `${customPath}.s3Location`), `${customPath}.s3Location`);
      doc = { documentId, content: { type: "S3", ...location } };
    }
  }
  if (body.metadata !== undefined && body.metadata !== null) doc.metadata = parseMetadata(object(body.metadata, `${path}.metadata`), `${path}.metadata`, inline);
  return doc;
}

function sourceType(value: unknown, field: string, dataSource: DataSourceRecord): "S3" | "CUSTOM" {
  const type = oneOf(required(value, field), field, ["CUSTOM", "S3"] as const);
  if (type !== dataSource.configuration.type) {
    throw validation(field, `must match the type of data source ${dataSource.id} (${dataSource.configuration.type}), not ${type}`);
  }
  return type;
}

function inlineContent(value: unknown, path: string): ValidatedDocument["content"] {
  const body = object(value, path);
  const type = oneOf(required(body.type, `${path}.type`), `${path}.type`, ["TEXT", "BYTE"] as const);
  if (type === "TEXT") {
    const textPath = `${path}.textContent`;
    const text = object(required(body.textContent, textPath), textPath);
    return { type: "TEXT", text: string(required(text.data, `${textPath}.data`), `${textPath}.data`, { min: 1, max: MAX_INLINE_LENGTH }) };
  }
  const bytePath = `${path}.byteContent`;
  const bytes = object(required(body.byteContent, bytePath), bytePath);
  const mimeType = string(required(bytes.mimeType, `${bytePath}.mimeType`), `${bytePath}.mimeType`, { min: 1, max: 255 });
  const data = Buffer.from(base64(required(bytes.data, `${bytePath}.data`), `${bytePath}.data`));
  if (data.length === 0) throw validation(`${bytePath}.data`, "Member must have length greater than or equal to 1");
  if (data.length > MAX_INLINE_LENGTH) throw validation(`${bytePath}.data`, `Member must have length less than or equal to ${MAX_INLINE_LENGTH}`);
  return { type: "BYTE", mimeType, data };
}

function parseMetadata(body: Obj, path: string, inlineContent: boolean): NonNullable<ValidatedDocument["metadata"]> {
  const type = oneOf(required(body.type, `${path}.type`), `${path}.type`, ["IN_LINE_ATTRIBUTE", "S3_LOCATION"] as const);
  // Bedrock: "The content and metadata for a document must be defined with the same method."
  if ((type === "IN_LINE_ATTRIBUTE") !== inlineContent) {
    throw validation(`${path}.type`, inlineContent ? "must be IN_LINE_ATTRIBUTE for inline content" : "must be S3_LOCATION for content in S3");
  }
  if (body.accessControlList !== undefined && body.accessControlList !== null) {
    throw validation(`${path}.accessControlList`, "is not supported by Basalt; omit it");
  }
  if (type === "S3_LOCATION") return { type: "S3_LOCATION", ...s3Location(required(body.s3Location, `${path}.s3Location`), `${path}.s3Location`) };
  const listPath = `${path}.inlineAttributes`;
  const attributes: Metadata = {};
  array(required(body.inlineAttributes, listPath), listPath, { min: 1, max: MAX_ATTRIBUTES }).forEach((item, i) => {
    const itemPath = `${listPath}.${i}`;
    const attribute = object(item, itemPath);
    const key = string(required(attribute.key, `${itemPath}.key`), `${itemPath}.key`, { min: 1, max: 256 });
    if (key in attributes) throw validation(`${itemPath}.key`, `repeats the attribute ${key}`);
    attributes[key] = attributeValue(required(attribute.value, `${itemPath}.value`), `${itemPath}.value`);
  });
  return { type: "IN_LINE_ATTRIBUTE", attributes };
}

function attributeValue(value: unknown, path: string): Metadata[string] {
  const body = object(value, path);
  const type = oneOf(required(body.type, `${path}.type`), `${path}.type`, Object.keys(VALUE_MEMBERS) as Array<keyof typeof VALUE_MEMBERS>);
  const member = VALUE_MEMBERS[type];
  const field = `${path}.${member}`;
  const raw = required(body[member], field);
  switch (type) {
    case "STRING":
      return string(raw, field, { max: 2048 });
    case "NUMBER":
      return number(raw, field);
    case "BOOLEAN":
      if (typeof raw !== "boolean") throw validation(field, "must be a boolean");
      return raw;
    case "STRING_LIST":
      return array(raw, field, { min: 1, max: 10 }).map((s, i) => string(s, `${field}.${i}`, { max: 2048 }));
  }
}

function s3Location(value: unknown, path: string): { uri: string; bucketOwnerAccountId?: string } {
  const body = object(value, path);
  const out: { uri: string; bucketOwnerAccountId?: string } = { uri: s3Uri(body.uri, `${path}.uri`) };
  const owner = optionalString(body.bucketOwnerAccountId, `${path}.bucketOwnerAccountId`, { pattern: ACCOUNT_ID_PATTERN });
  if (owner !== undefined) out.bucketOwnerAccountId = owner;
  return out;
}

/** An `s3://bucket/key` URI; with `dataSource`, one inside its bucket. */
function s3Uri(value: unknown, field: string, dataSource?: DataSourceRecord): string {
  const uri = string(required(value, field), field, { min: 1, max: 1024, pattern: S3_URI_PATTERN });
  const bucket = dataSource && bucketOf(dataSource);
  if (bucket !== undefined && !uri.startsWith(`s3://${bucket}/`)) {
    throw validation(field, `must name an object in the data source's bucket ${bucket}`);
  }
  return uri;
}

function customId(value: unknown, field: string): string {
  const id = string(required(value, field), field, { min: 1, max: MAX_CUSTOM_ID_BYTES });
  if (Buffer.byteLength(id, "utf8") > MAX_CUSTOM_ID_BYTES) throw validation(field, `Member must be at most ${MAX_CUSTOM_ID_BYTES} bytes of UTF-8`);
  return id;
}
