// Every model provider Basalt ships.
import type { Provider } from "../provider.ts";
import { anthropicProvider } from "./anthropic/provider.ts";
import { bedrockProvider } from "./bedrock/provider.ts";
import { llamaCppProvider } from "./llama-cpp/provider.ts";
import { mockProvider } from "./mock/provider.ts";
import { openAiProvider } from "./openai/provider.ts";
import { useProvider } from "./use/provider.ts";

/** Creates the set of providers (each owns its own loaded models and sockets). */
export function createProviders(): Provider[] {
  return [mockProvider, useProvider, llamaCppProvider, openAiProvider, anthropicProvider, bedrockProvider] as Provider[];
}
