import { describe } from "node:test";
import { parseConfig } from "../../../config/loader.ts";
import type { LanguageModel } from "../../../spec/model.ts";
import { languageModelConformance } from "../../../../test/conformance/language-model.ts";
import { mockProvider } from "./provider.ts";
import { pino } from "pino";

describe("mock provider", () => {
  const config = parseConfig({ embeddedDefaults: false });
  const model = mockProvider.create(
    { provider: "mock", id: "m", aliases: [], mode: "echo", responses: [], latencyMs: 0, chunkDelayMs: 1, chunkSize: 4, embedding: false, lifecycle: "ACTIVE", timeoutMs: 1000 },
    { config, logger: pino({ level: "silent" }) },
  ).language as LanguageModel;
  languageModelConformance({ model: () => model, prompt: "Once upon a time there was a small cat" });
});
