// RetrieveAndGenerate request validation: both configuration types, defaults, and exact field
// paths in the errors.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRagRequest } from "./rag-request.ts";

const KB = "retrieveAndGenerateConfiguration.knowledgeBaseConfiguration";

function kbBody(extra: Record<string, unknown> = {}, top: Record<string, unknown> = {}) {
  return {
    input: { text: "What was revenue in 2020?" },
    retrieveAndGenerateConfiguration: { type: "KNOWLEDGE_BASE", knowledgeBaseConfiguration: { knowledgeBaseId: "KB12345678", modelArn: "basalt.mock", ...extra } },
    ...top,
  };
}

function rejects(body: Record<string, unknown>, field: string): void {
  assert.throws(() => parseRagRequest(body), (error: Error) => {
    assert.equal(error.name, "ValidationException");
    assert.ok(error.message.includes(`'${field}'`), `${error.message} should name ${field}`);
    return true;
  });
}

describe("RetrieveAndGenerate requests", () => {
  it("reads a knowledge-base request with Bedrock's defaults", () => {
    const rag = parseRagRequest(kbBody());
    assert.equal(rag.question, "What was revenue in 2020?");
    assert.equal(rag.modelArn, "basalt.mock");
    assert.deepEqual(rag.source, { type: "KNOWLEDGE_BASE", knowledgeBaseId: "KB12345678", retrieval: { numberOfResults: 5, searchType: "SEMANTIC" } });
    assert.deepEqual(rag.generation, {});
    assert.equal(rag.sessionId, undefined);
  });

  it("reads retrieval, generation and session settings", () => {
    const rag = parseRagRequest(
      kbBody(
        {
          retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 3, overrideSearchType: "HYBRID", filter: { equals: { key: "year", value: 2020 } } } },
          generationConfiguration: {
            promptTemplate: { textPromptTemplate: "Results: $search_results$" },
            inferenceConfig: { textInferenceConfig: { temperature: 0, topP: 0.5, maxTokens: 100, stopSequences: ["\n\n"] } },
            additionalModelRequestFields: { top_k: 3 },
          },
        },
        { sessionId: "6f1c4c1e-0b7a-4d4e-9b1a-2f4a5a6b7c8d" },
      ),
    );
    assert.equal(rag.sessionId, "6f1c4c1e-0b7a-4d4e-9b1a-2f4a5a6b7c8d");
    assert.deepEqual(rag.source.type === "KNOWLEDGE_BASE" && rag.source.retrieval, {
      numberOfResults: 3,
      searchType: "HYBRID",
      filter: { op: "equals", key: "year", value: 2020 },
    });
    assert.deepEqual(rag.generation, { promptTemplate: "Results: $search_results$", temperature: 0, topP: 0.5, maxTokens: 100, stopSequences: ["\n\n"], additionalModelRequestFields: { top_k: 3 } });
  });

  it("reads external sources, decoding inline bytes", () => {
    const rag = parseRagRequest({
      input: { text: "Summarize" },
      retrieveAndGenerateConfiguration: {
        type: "EXTERNAL_SOURCES",
        externalSourcesConfiguration: {
          modelArn: "arn:aws:bedrock:us-east-1::foundation-model/basalt.mock",
          sources: [
            { sourceType: "BYTE_CONTENT", byteContent: { identifier: "notes.txt", contentType: "text/plain", data: Buffer.from("hello").toString("base64") } },
            { sourceType: "S3", s3Location: { uri: "s3://my-bucket/docs/a.pdf" } },
          ],
        },
      },
    });
    assert.equal(rag.source.type, "EXTERNAL_SOURCES");
    if (rag.source.type !== "EXTERNAL_SOURCES") return;
    const [bytes, s3] = rag.source.sources;
    assert.equal(bytes?.kind === "BYTE_CONTENT" && Buffer.from(bytes.data).toString(), "hello");
    assert.deepEqual(s3, { kind: "S3", uri: "s3://my-bucket/docs/a.pdf" });
  });

  it("names the exact field of each mistake", () => {
    rejects({ input: { text: "  " }, retrieveAndGenerateConfiguration: {} }, "input.text");
    rejects(kbBody({}, { sessionId: "bad id!" }), "sessionId");
    rejects({ input: { text: "q" }, retrieveAndGenerateConfiguration: { type: "WEB" } }, "retrieveAndGenerateConfiguration.type");
    rejects(kbBody({ knowledgeBaseId: "not-an-id!" }), `${KB}.knowledgeBaseId`);
    rejects(kbBody({ retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 101 } } }), `${KB}.retrievalConfiguration.vectorSearchConfiguration.numberOfResults`);
    rejects(kbBody({ retrievalConfiguration: { vectorSearchConfiguration: { overrideSearchType: "LEXICAL" } } }), `${KB}.retrievalConfiguration.vectorSearchConfiguration.overrideSearchType`);
    rejects(
      kbBody({ retrievalConfiguration: { vectorSearchConfiguration: { filter: { andAll: [{ equals: { key: "a", value: 1 } }, { in: { key: "b", value: [] } }] } } } }),
      `${KB}.retrievalConfiguration.vectorSearchConfiguration.filter.andAll[1].in.value`,
    );
    rejects(kbBody({ generationConfiguration: { promptTemplate: { textPromptTemplate: "no results here" } } }), `${KB}.generationConfiguration.promptTemplate.textPromptTemplate`);
    rejects(kbBody({ generationConfiguration: { inferenceConfig: { textInferenceConfig: { temperature: 2 } } } }), `${KB}.generationConfiguration.inferenceConfig.textInferenceConfig.temperature`);
    rejects(
      kbBody({ retrievalConfiguration: { vectorSearchConfiguration: { rerankingConfiguration: { type: "BEDROCK_RERANKING_MODEL", bedrockRerankingConfiguration: { modelConfiguration: {} } } } } }),
      `${KB}.retrievalConfiguration.vectorSearchConfiguration.rerankingConfiguration.bedrockRerankingConfiguration.modelConfiguration.modelArn`,
    );
    rejects(
      { input: { text: "q" }, retrieveAndGenerateConfiguration: { type: "EXTERNAL_SOURCES", externalSourcesConfiguration: { modelArn: "m", sources: [{ sourceType: "S3", s3Location: { uri: "https://example.com/a.pdf" } }] } } },
      "retrieveAndGenerateConfiguration.externalSourcesConfiguration.sources.0.s3Location.uri",
    );
  });

  it("refuses what Basalt does not do instead of ignoring it", () => {
    rejects(kbBody({ generationConfiguration: { guardrailConfiguration: { guardrailId: "g", guardrailVersion: "v1" } } }), `${KB}.generationConfiguration.guardrailConfiguration.guardrailVersion`);
    rejects(kbBody({ orchestrationConfiguration: { queryTransformationConfiguration: { type: "QUERY_DECOMPOSITION" } } }), `${KB}.orchestrationConfiguration`);
    const rag = parseRagRequest(kbBody({}, { sessionConfiguration: { kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/abc" } }));
    assert.equal(rag.warnings.length, 1, "a KMS key is reported, sessions being encrypted by Basalt's own keys");
  });
});
