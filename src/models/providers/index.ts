// Every model provider Basalt ships.
import type { Provider } from "../provider.ts";
import { mockProvider } from "./mock/provider.ts";
import { useProvider } from "./use/provider.ts";

/** Creates the set of providers (each owns its own loaded models and sockets). */
export function createProviders(): Provider[] {
  return [mockProvider, useProvider] as Provider[];
}
