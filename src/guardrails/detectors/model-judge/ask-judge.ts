// One call to the judge model: deterministic (temperature 0), short, and with failures as
// BasaltErrors. A reply that cannot be read is a ModelErrorException, never a silent pass.
import { BasaltError, toBasaltError } from "../../../spec/errors.ts";
import type { GenerateRequest, LanguageModel } from "../../../spec/model.ts";

/** What to send: a chat turn (with an optional system prompt) or a raw completion prompt. */
export type JudgePrompt = { system?: string; user: string } | { raw: string };

/** Sends `prompt` and returns the reply's text. */
export async function askJudge(model: LanguageModel, prompt: JudgePrompt, options: { maxTokens: number; signal?: AbortSignal }): Promise<string> {
  const request: GenerateRequest = {
    messages: [],
    temperature: 0,
    maxTokens: options.maxTokens,
    signal: options.signal,
  };
  if ("raw" in prompt) {
    request.rawPrompt = prompt.raw;
  } else {
    if (prompt.system) request.system = prompt.system;
    request.messages = [{ role: "user", content: [{ type: "text", text: prompt.user }] }];
  }
  let result;
  try {
    result = await model.generate(request);
  } catch (error) {
    throw toBasaltError(error);
  }
  return result.content.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("");
}

/** The error for a reply the judge's format cannot read; the reply itself stays in `cause` for logs. */
export function unreadableVerdict(model: LanguageModel, reply: string): BasaltError {
  return new BasaltError("MODEL_ERROR", `The guardrail judge model ${model.modelId} gave a verdict that could not be read.`, {
    cause: new Error(`Judge reply: ${reply.slice(0, 1000)}`),
  });
}
