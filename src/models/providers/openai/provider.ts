// PLACEHOLDER: replaced by the real openai provider in this session.
import type { Provider } from "../../provider.ts";

export const openAiProvider: Provider<"openai"> = {
  name: "openai",
  create(model) {
    throw new Error(`models: provider openai is not available yet (${model.id})`);
  },
};
