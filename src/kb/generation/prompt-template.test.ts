// Prompt templates: the default one, custom ones with and without $query$, session history,
// placeholders filled once (no injection through passages), and the request fields.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "../../spec/model.ts";
import type { RetrievedPassage } from "../retrieval/passage.ts";
import { fitPassages, generationRequest, passageBudget, retrievalQuery } from "./generation-request.ts";
import { buildPrompt, DEFAULT_PROMPT_TEMPLATE, formatSearchResults, OUTPUT_FORMAT_INSTRUCTIONS, validatePromptTemplate } from "./prompt-template.ts";

function passage(text: string, sourceUri: string, page?: number): RetrievedPassage {
  return { text, score: 0.5, sourceUri, chunkId: `${sourceUri}#0`, documentId: sourceUri, metadata: page === undefined ? {} : { "x-amz-bedrock-kb-document-page-number": page } };
}

const PASSAGES = [passage("Revenue in 2020 was 12 million.", "s3://docs/report.pdf", 3), passage("The office is in Lyon.", "file:///srv/docs/about.md")];

function texts(messages: Message[]): Array<[string, string]> {
  return messages.map((m) => [m.role, m.content.map((c) => (c.type === "text" ? c.text : "")).join("")]);
}

describe("prompt templates", () => {
  it("numbers the search results with their sources", () => {
    assert.equal(formatSearchResults(PASSAGES), "[1] (source: s3://docs/report.pdf, page 3)\nRevenue in 2020 was 12 million.\n\n[2] (source: file:///srv/docs/about.md)\nThe office is in Lyon.");
    assert.equal(formatSearchResults([]), "(no search results)");
  });

  it("uses the default template as system text and the question as the user message", () => {
    const prompt = buildPrompt({ query: "Where is the office?", passages: PASSAGES, history: [] });
    assert.ok(DEFAULT_PROMPT_TEMPLATE.includes("$search_results$"));
    assert.ok(prompt.system?.includes("[2] (source: file:///srv/docs/about.md)\nThe office is in Lyon."));
    assert.ok(prompt.system?.includes(OUTPUT_FORMAT_INSTRUCTIONS));
    assert.ok(!prompt.system?.includes("$"), "every placeholder is filled");
    assert.deepEqual(texts(prompt.messages), [["user", "Where is the office?"]]);
  });

  it("makes a template with $query$ the whole user message", () => {
    const prompt = buildPrompt({ template: "Q: $query$\nDocs:\n$search_results$\nA:", query: "Revenue?", passages: PASSAGES.slice(0, 1), history: [] });
    assert.equal(prompt.system, undefined);
    assert.deepEqual(texts(prompt.messages), [["user", "Q: Revenue?\nDocs:\n[1] (source: s3://docs/report.pdf, page 3)\nRevenue in 2020 was 12 million.\nA:"]]);
  });

  it("puts earlier turns before the question, or where $conversation_history$ says", () => {
    const history = [{ question: "Where is the office?", answer: "In Lyon." }];
    const plain = buildPrompt({ query: "Since when?", passages: PASSAGES, history });
    assert.deepEqual(texts(plain.messages), [
      ["user", "Where is the office?"],
      ["assistant", "In Lyon."],
      ["user", "Since when?"],
    ]);
    const inline = buildPrompt({ template: "$conversation_history$\n---\n$search_results$", query: "Since when?", passages: [], history });
    assert.equal(inline.system, "User: Where is the office?\nAssistant: In Lyon.\n---\n(no search results)");
    assert.deepEqual(texts(inline.messages), [["user", "Since when?"]]);
  });

  it("fills placeholders once: a passage or question holding one is left as written", () => {
    const tricky = [passage("Costs $query$ and $5.", "s3://b/k")];
    const prompt = buildPrompt({ template: "$search_results$ / $query$", query: "What is $search_results$?", passages: tricky, history: [] });
    assert.deepEqual(texts(prompt.messages), [["user", "[1] (source: s3://b/k)\nCosts $query$ and $5. / What is $search_results$?"]]);
  });

  it("refuses a custom template without $search_results$, naming the field", () => {
    assert.throws(() => validatePromptTemplate("Answer: $query$", "generationConfiguration.promptTemplate.textPromptTemplate"), /'generationConfiguration\.promptTemplate\.textPromptTemplate'.*\$search_results\$/);
  });
});

describe("generation request", () => {
  it("carries the inference settings and additional fields", () => {
    const request = generationRequest({
      question: "Q?",
      passages: PASSAGES,
      history: [],
      settings: { maxTokens: 64, temperature: 0.2, topP: 0.9, stopSequences: ["END"], additionalModelRequestFields: { top_k: 5 } },
    });
    assert.equal(request.maxTokens, 64);
    assert.equal(request.temperature, 0.2);
    assert.equal(request.topP, 0.9);
    assert.deepEqual(request.stopSequences, ["END"]);
    assert.deepEqual(request.providerOptions, { top_k: 5 });
  });

  it("searches with the previous question too on a follow-up", () => {
    assert.equal(retrievalQuery("and in 2021?", []), "and in 2021?");
    assert.equal(retrievalQuery("and in 2021?", [{ question: "Revenue in 2020?", answer: "12 million." }]), "Revenue in 2020?\nand in 2021?");
  });

  it("keeps the best passages that fit the budget, at least one", () => {
    const many = [passage("a".repeat(600), "s3://b/1"), passage("b".repeat(600), "s3://b/2"), passage("c".repeat(600), "s3://b/3")];
    assert.deepEqual(fitPassages(many, 1300).map((p) => p.sourceUri), ["s3://b/1", "s3://b/2"]);
    assert.deepEqual(fitPassages(many, 10).map((p) => p.sourceUri), ["s3://b/1"]);
    assert.ok(passageBudget(4096, 256) < passageBudget(32_768, 256));
  });
});
