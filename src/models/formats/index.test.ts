import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ModelEntry } from "../../spec/catalog.ts";
import { titanEmbedV1Family } from "./titan-embed.ts";
import { chooseFamily, familyForId, unreadFields } from "./index.ts";

const entry = (over: Partial<ModelEntry> = {}): ModelEntry => ({
  id: "local.model", aliases: [], name: "m", providerName: "p", inputModalities: ["TEXT"], outputModalities: ["TEXT"],
  streaming: true, tools: true, vision: false, documents: false, lifecycle: "ACTIVE", inferenceTypes: ["ON_DEMAND"], ...over,
});
const embedder = (over: Partial<ModelEntry> = {}) => entry({ outputModalities: ["EMBEDDING"], ...over });
const name = (options: Parameters<typeof chooseFamily>[0]) => chooseFamily(options).name;

describe("family registry", () => {
  it("maps Bedrock ids, ARNs and inference profiles by prefix", () => {
    assert.equal(familyForId("anthropic.claude-3-haiku-20240307-v1:0")?.name, "anthropic");
    assert.equal(familyForId("us.anthropic.claude-3-5-sonnet-20240620-v1:0")?.name, "anthropic");
    assert.equal(familyForId("arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-8b-instruct-v1:0")?.name, "meta-llama");
    assert.equal(familyForId("amazon.titan-text-premier-v1:0")?.name, "titan-text");
    assert.equal(familyForId("amazon.titan-embed-text-v1"), titanEmbedV1Family);
    assert.equal(familyForId("amazon.titan-embed-text-v2:0")?.fields.includes("dimensions"), true);
    assert.equal(familyForId("mistral.mixtral-8x7b-instruct-v0:1")?.name, "mistral");
    assert.equal(familyForId("cohere.command-r-plus-v1:0")?.name, "cohere-command");
    assert.equal(familyForId("cohere.embed-multilingual-v3")?.name, "cohere-embed");
    assert.equal(familyForId("local.qwen"), undefined);
  });

  it("lets the catalog's invokeFormat win, keeping the id's variant", () => {
    assert.equal(name({ entry: entry({ invokeFormat: "mistral" }), identifier: "anthropic.claude-x", body: { messages: [] } }), "mistral");
    const v1 = chooseFamily({ entry: embedder({ invokeFormat: "titan-embed" }), identifier: "amazon.titan-embed-text-v1", body: {} });
    assert.equal(v1, titanEmbedV1Family);
  });

  it("prefers the identifier the client used over the entry's id and aliases", () => {
    const shared = entry({ aliases: ["anthropic.claude-3-haiku-20240307-v1:0", "meta.llama3-8b-instruct-v1:0"] });
    assert.equal(name({ entry: shared, identifier: "meta.llama3-8b-instruct-v1:0", body: {} }), "meta-llama");
    assert.equal(name({ entry: shared, identifier: "local.model", body: {} }), "anthropic");
    // Without an identifier (CountTokens) the body picks among the entry's names.
    assert.equal(name({ entry: shared, body: { prompt: "hi" } }), "meta-llama");
  });

  it("sniffs the body's shape when no id names a family", () => {
    assert.equal(name({ entry: entry(), body: { anthropic_version: "x", messages: [] } }), "anthropic");
    assert.equal(name({ entry: entry(), body: { inputText: "x" } }), "titan-text");
    assert.equal(name({ entry: embedder(), body: { inputText: "x" } }), "titan-embed");
    assert.equal(name({ entry: embedder(), body: { texts: ["x"] } }), "cohere-embed");
    assert.equal(name({ entry: entry(), body: { message: "x" } }), "cohere-command");
    assert.equal(name({ entry: entry(), body: { prompt: "  <s>[INST] x [/INST]" } }), "mistral");
    assert.equal(name({ entry: entry(), body: { prompt: "x" } }), "meta-llama");
    assert.throws(() => chooseFamily({ entry: entry(), body: { foo: 1 } }), (e: Error) => e.name === "ValidationException");
  });

  it("warns about fields a family does not read", () => {
    const family = chooseFamily({ entry: entry(), body: {} , identifier: "meta.llama3" });
    const warnings = unreadFields(family, { prompt: "x", images: ["..."], top_p: 1 });
    assert.deepEqual(warnings.map((w) => w.setting), ["images"]);
    assert.equal(warnings[0]!.type, "unsupported-setting");
  });
});
