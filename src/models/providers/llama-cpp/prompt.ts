// Rendering a request into what the model reads: a chat history for the GGUF's chat template,
// or, for a model without one (or a rawPrompt), plain text to complete. The same rendering
// counts input tokens, so countTokens, usage and the context-size check agree with generation.
import { LlamaText, SpecialTokensText, type ChatHistoryItem, type ChatModelFunctionCall, type ChatModelResponse, type Token } from "node-llama-cpp";
import type { ContentPart, GenerateRequest, ToolResultContent } from "../../../spec/model.ts";
import type { LoadedModel } from "./loaded-model.ts";
import type { ToolMode } from "./tools.ts";

/** A rendered request. */
export type Prompt =
  | {
      kind: "chat";
      history: ChatHistoryItem[];
      /** The template applied to the history, as the model will read it. */
      text: LlamaText;
      inputTokens: number;
    }
  | {
      kind: "completion";
      /** Tokens to complete, without the BOS token that LlamaCompletion prepends itself. */
      tokens: Token[];
      inputTokens: number;
    };

function toolResultValue(content: ToolResultContent[]): unknown {
  if (content.length === 1 && content[0]!.type === "json") return content[0]!.value;
  return content.map((c) => (c.type === "text" ? c.text : c.type === "json" ? JSON.stringify(c.value) : "[image]")).join("\n");
}

function partText(part: ContentPart): string | undefined {
  if (part.type === "text") return part.text;
  if (part.type === "document" && part.text) return `${part.name}:\n${part.text}`;
  return undefined;
}

/** The request as a node-llama-cpp chat history ending with the (possibly prefilled) model turn. */
export function chatHistory(request: GenerateRequest, extraSystem?: string): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  const system = [request.system, extraSystem].filter(Boolean).join("\n\n");
  if (system) history.push({ type: "system", text: system });
  // Bedrock sends a tool's result in the next user turn; node-llama-cpp keeps it on the call.
  const pendingCalls = new Map<string, ChatModelFunctionCall>();
  for (const message of request.messages) {
    if (message.role === "assistant") {
      const response: ChatModelResponse["response"] = [];
      for (const part of message.content) {
        const text = partText(part);
        if (text) response.push(text);
        else if (part.type === "tool-call") {
          const call: ChatModelFunctionCall = { type: "functionCall", name: part.toolName, params: part.input, result: "" };
          pendingCalls.set(part.toolCallId, call);
          response.push(call);
        }
      }
      history.push({ type: "model", response });
      continue;
    }
    const texts: string[] = [];
    for (const part of message.content) {
      if (part.type === "tool-result") {
        const call = pendingCalls.get(part.toolCallId);
        if (call) call.result = toolResultValue(part.content);
        else texts.push(JSON.stringify(toolResultValue(part.content)));
      } else {
        const text = partText(part);
        if (text) texts.push(text);
      }
    }
    if (texts.length) history.push({ type: "user", text: texts.join("\n") });
  }
  if (history.at(-1)?.type !== "model") history.push({ type: "model", response: [] });
  return history;
}

/** The conversation as plain text, for models without a chat template. */
export function conversationText(request: GenerateRequest, extraSystem?: string): string {
  const pieces: string[] = [];
  if (request.system) pieces.push(request.system);
  if (extraSystem) pieces.push(extraSystem);
  for (const message of request.messages) {
    for (const part of message.content) {
      const text = partText(part);
      if (text) pieces.push(text);
      else if (part.type === "tool-call") pieces.push(`${part.toolName}(${JSON.stringify(part.input)})`);
      else if (part.type === "tool-result") pieces.push(JSON.stringify(toolResultValue(part.content)));
    }
  }
  return pieces.join("\n");
}

function completionTokens(loaded: LoadedModel, text: string, raw: boolean): Token[] {
  const { model } = loaded;
  const bos = model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
  // A raw prompt is already in the model's template, so its special tokens are tokens.
  const tokens = raw
    ? LlamaText(new SpecialTokensText(text)).tokenize(model.tokenizer, bos === null ? undefined : "trimLeadingSpace")
    : model.tokenize(text, false, bos === null ? undefined : "trimLeadingSpace");
  // LlamaCompletion prepends BOS; a raw prompt that starts with it must not get two.
  return bos !== null && tokens[0] === bos ? tokens.slice(1) : tokens;
}

/** Renders a request for this model, counting its input tokens with the model's tokenizer. */
export function renderPrompt(request: GenerateRequest, loaded: LoadedModel, tools: ToolMode): Prompt {
  const extraSystem = tools.kind === "forced" ? tools.instructions : undefined;
  const { model, chatWrapper } = loaded;
  if (request.rawPrompt !== undefined || !chatWrapper) {
    const raw = request.rawPrompt !== undefined;
    const tokens = completionTokens(loaded, raw ? request.rawPrompt! : conversationText(request, extraSystem), raw);
    const bos = model.tokens.shouldPrependBosToken && model.tokens.bos !== null ? 1 : 0;
    return { kind: "completion", tokens, inputTokens: tokens.length + bos };
  }
  const history = chatHistory(request, extraSystem);
  const { contextText } = chatWrapper.generateContextState({
    chatHistory: history,
    availableFunctions: tools.kind === "functions" ? tools.functions : undefined,
    documentFunctionParams: true,
  });
  return { kind: "chat", history, text: contextText, inputTokens: contextText.tokenize(model.tokenizer).length };
}
