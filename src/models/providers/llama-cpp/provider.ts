// PLACEHOLDER: replaced by the real llama-cpp provider in this session.
import type { Provider } from "../../provider.ts";

export const llamaCppProvider: Provider<"llama-cpp"> = {
  name: "llama-cpp",
  create(model) {
    throw new Error(`models: provider llama-cpp is not available yet (${model.id})`);
  },
};
