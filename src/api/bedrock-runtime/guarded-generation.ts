// Guardrails around generation, in the internal model types every wire format shares: what
// of a request is checked as input (and how masks are written back), checking a whole answer,
// guarding a stream, and the answer given in place of a blocked input.
import type { GuardrailContent } from "../../guardrails/engine/apply.ts";
import { guardOutputStream } from "../../guardrails/engine/guard-stream.ts";
import type { ContentPart, GenerateRequest, GenerateResult, StreamPart, Usage } from "../../spec/model.ts";
import type { GuardrailSession } from "./guardrail-session.ts";

/** Characters per token, for usage of a stream the guardrail stopped (as the usage guard estimates). */
const CHARS_PER_TOKEN = 4;

/** The text a guardrail checks as input: every text part of the user's turns (and a raw prompt). */
export function requestGuardContent(request: GenerateRequest): { content: GuardrailContent[]; withTexts(texts: readonly string[]): GenerateRequest } {
  const content: GuardrailContent[] = [];
  request.messages.forEach((message) => {
    if (message.role !== "user") return;
    for (const part of message.content) if (part.type === "text") content.push({ text: part.text });
  });
  if (request.rawPrompt !== undefined) content.push({ text: request.rawPrompt });
  return {
    content,
    withTexts(texts) {
      let at = 0;
      const messages = request.messages.map((message) => {
        if (message.role !== "user") return message;
        return { ...message, content: message.content.map((part): ContentPart => (part.type === "text" ? { ...part, text: texts[at++] ?? part.text } : part)) };
      });
      const rawPrompt = request.rawPrompt === undefined ? undefined : (texts[at++] ?? request.rawPrompt);
      return { ...request, messages, ...(rawPrompt !== undefined ? { rawPrompt } : {}) };
    },
  };
}

/** The answer given instead of calling the model when the input was blocked. */
export function blockedResult(message: string): GenerateResult {
  return { content: [{ type: "text", text: message }], finishReason: "guardrail_intervened", usage: { inputTokens: 0, outputTokens: 0 }, warnings: [] };
}

/** A whole result as stream parts (a blocked input on a streaming route). */
export async function* resultAsStream(result: GenerateResult): AsyncGenerator<StreamPart> {
  for (const [i, part] of result.content.entries()) {
    if (part.type !== "text") continue;
    yield { type: "text-start", id: String(i) };
    yield { type: "text-delta", id: String(i), delta: part.text };
    yield { type: "text-end", id: String(i) };
  }
  yield { type: "finish", finishReason: result.finishReason, usage: result.usage };
}

/** Checks every text part of an answer; a block replaces the answer, masks rewrite the parts. */
export async function guardResult(guard: GuardrailSession, result: GenerateResult, context: readonly GuardrailContent[] = []): Promise<{ result: GenerateResult; modelOutput: string[] }> {
  const modelOutput: string[] = [];
  const content = [...result.content];
  let intervened = false;
  for (const [i, part] of content.entries()) {
    if (part.type !== "text") continue;
    modelOutput.push(part.text);
    const checked = await guard.checkOutput(part.text, context);
    if (checked.blocked) {
      return { result: { ...result, content: [{ type: "text", text: guard.blockedOutputMessage }], finishReason: "guardrail_intervened" }, modelOutput };
    }
    if (checked.action === "GUARDRAIL_INTERVENED") {
      content[i] = { type: "text", text: checked.texts.at(-1)! };
      intervened = true;
    }
  }
  return { result: intervened ? { ...result, content, finishReason: "guardrail_intervened" } : result, modelOutput };
}

/** Guards a stream's text over a sliding window (the session's stream processing mode). */
export async function* guardStream(
  guard: GuardrailSession,
  source: AsyncIterable<StreamPart>,
  options: { inputTokens: () => Promise<number>; context?: readonly GuardrailContent[] },
): AsyncGenerator<StreamPart> {
  const guarded = guardOutputStream(source, {
    mode: guard.config.streamProcessingMode,
    blockedMessage: guard.blockedOutputMessage,
    check: (text) => guard.checkOutput(text, options.context),
    usageSoFar: async (chars): Promise<Usage> => ({ inputTokens: await options.inputTokens().catch(() => 0), outputTokens: Math.ceil(chars / CHARS_PER_TOKEN) }),
  });
  for await (const part of guarded) {
    // Masked output is an intervention too, as in a whole answer.
    if (part.type === "finish" && guard.outputs.some((o) => o.action === "GUARDRAIL_INTERVENED")) yield { ...part, finishReason: "guardrail_intervened" };
    else yield part;
  }
}
