// Bedrock's rdsConfiguration validation (exact field paths, identifiers that cannot carry SQL)
// and the chunk id → uuid mapping.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BasaltError } from "../../../spec/errors.ts";
import { CHUNK_ID_NAMESPACE, chunkUuid, uuidV5 } from "./chunk-uuid.ts";
import { parseRdsConfiguration, parseTableName, quoteTableName } from "./rds-configuration.ts";

const VALID = {
  resourceArn: "arn:aws:rds:us-east-1:123456789012:cluster:my-cluster",
  credentialsSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:kb-credentials-AbCdEf",
  databaseName: "postgres",
  tableName: "bedrock_integration.bedrock_kb",
  fieldMapping: { primaryKeyField: "id", vectorField: "embedding", textField: "chunks", metadataField: "metadata", customMetadataField: "custom_metadata" },
};

const PATH = "storageConfiguration.rdsConfiguration";

function rejectsAt(input: unknown, field: string, problem?: RegExp): void {
  assert.throws(
    () => parseRdsConfiguration(input),
    (error: unknown) => {
      assert.ok(error instanceof BasaltError && error.code === "VALIDATION", String(error));
      assert.ok(error.message.includes(`'${field}'`), `${error.message} names ${field}`);
      if (problem) assert.match(error.message, problem);
      return true;
    },
  );
}

describe("parseRdsConfiguration", () => {
  it("accepts Bedrock's documented shape and returns it", () => {
    assert.deepEqual(parseRdsConfiguration(VALID), VALID);
    const { customMetadataField: _omitted, ...mapping } = VALID.fieldMapping;
    assert.deepEqual(parseRdsConfiguration({ ...VALID, tableName: "kb_chunks", fieldMapping: mapping }).fieldMapping, mapping);
  });

  it("names the missing or malformed field exactly", () => {
    rejectsAt(undefined, PATH);
    rejectsAt([], PATH);
    for (const key of ["resourceArn", "credentialsSecretArn", "databaseName", "tableName", "fieldMapping"] as const) {
      const { [key]: _removed, ...rest } = VALID;
      rejectsAt(rest, `${PATH}.${key}`, /must not be null/);
    }
    rejectsAt({ ...VALID, resourceArn: "arn:aws:s3:::bucket" }, `${PATH}.resourceArn`, /pattern/);
    rejectsAt({ ...VALID, credentialsSecretArn: "secret" }, `${PATH}.credentialsSecretArn`, /pattern/);
    rejectsAt({ ...VALID, databaseName: "db; DROP" }, `${PATH}.databaseName`, /pattern/);
    for (const field of ["primaryKeyField", "vectorField", "textField", "metadataField"] as const) {
      rejectsAt({ ...VALID, fieldMapping: { ...VALID.fieldMapping, [field]: undefined } }, `${PATH}.fieldMapping.${field}`, /must not be null/);
    }
    rejectsAt({ ...VALID, fieldMapping: "id" }, `${PATH}.fieldMapping`);
  });

  it("admits only plain SQL identifiers for table and column names", () => {
    const badNames = ['kb"; DROP TABLE users; --', "kb chunks", "1kb", "kb-chunks", "a.b.c", ".kb", "kb.", "", "kb\u0000", "é", "x".repeat(64)];
    for (const name of badNames) rejectsAt({ ...VALID, tableName: name }, `${PATH}.tableName`);
    for (const name of badNames.filter((n) => !n.includes("."))) {
      rejectsAt({ ...VALID, fieldMapping: { ...VALID.fieldMapping, textField: name } }, `${PATH}.fieldMapping.textField`);
    }
    rejectsAt({ ...VALID, fieldMapping: { ...VALID.fieldMapping, customMetadataField: 'x"y' } }, `${PATH}.fieldMapping.customMetadataField`);
    assert.equal(parseRdsConfiguration({ ...VALID, tableName: `${"s".repeat(63)}.${"t".repeat(63)}` }).tableName.length, 127);
  });

  it("refuses two fields mapped to one column", () => {
    rejectsAt({ ...VALID, fieldMapping: { ...VALID.fieldMapping, textField: "metadata" } }, `${PATH}.fieldMapping.metadataField`, /textField/);
    rejectsAt({ ...VALID, fieldMapping: { ...VALID.fieldMapping, customMetadataField: "id" } }, `${PATH}.fieldMapping.customMetadataField`, /primaryKeyField/);
  });

  it("quotes a schema-qualified table name part by part", () => {
    assert.equal(quoteTableName(parseTableName("bedrock_integration.bedrock_kb", "t")), '"bedrock_integration"."bedrock_kb"');
    assert.equal(quoteTableName(parseTableName("Chunks", "t")), '"Chunks"');
  });
});

describe("chunk ids as uuids", () => {
  it("computes RFC 9562 version-5 uuids (the RFC's DNS example)", () => {
    const dns = Buffer.from("6ba7b8109dad11d180b400c04fd430c8", "hex");
    assert.equal(uuidV5("www.example.com", dns), "2ed6657d-e927-568b-95e1-2665a8aea6a2");
  });

  it("maps a chunk id to the same uuid every time, and different ids apart", () => {
    const id = "s3://bücher/日本語.pdf#12";
    assert.equal(chunkUuid(id), chunkUuid(id));
    assert.match(chunkUuid(id), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const many = new Set(Array.from({ length: 5000 }, (_, i) => chunkUuid(`doc#${i}`)));
    assert.equal(many.size, 5000);
    assert.notEqual(chunkUuid("doc#1"), chunkUuid("doc#10"));
    assert.equal(chunkUuid(id), uuidV5(id, Buffer.from(CHUNK_ID_NAMESPACE.replaceAll("-", ""), "hex")));
  });
});
