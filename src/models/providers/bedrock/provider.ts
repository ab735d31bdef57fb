// PLACEHOLDER: replaced by the real bedrock provider in this session.
import type { Provider } from "../../provider.ts";

export const bedrockProvider: Provider<"bedrock"> = {
  name: "bedrock",
  create(model) {
    throw new Error(`models: provider bedrock is not available yet (${model.id})`);
  },
};
