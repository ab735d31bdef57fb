// PLACEHOLDER: replaced by the real anthropic provider in this session.
import type { Provider } from "../../provider.ts";

export const anthropicProvider: Provider<"anthropic"> = {
  name: "anthropic",
  create(model) {
    throw new Error(`models: provider anthropic is not available yet (${model.id})`);
  },
};
