// GenerateRequest → Bedrock Converse input. Our internal model follows Converse closely, so
// this is mostly renaming; what Converse cannot carry becomes a warning.
import type {
  ContentBlock,
  ConverseRequest,
  DocumentFormat,
  Message as WireMessage,
  ToolChoice as WireToolChoice,
  ToolResultContentBlock,
} from "@aws-sdk/client-bedrock-runtime";
import type { ContentPart, EmbedRequest, GenerateRequest, ToolChoice, ToolResultContent, Warning } from "../../../spec/model.ts";

/** The SDK's JSON document type (from @smithy/types, named here to avoid a transitive import). */
type DocumentType = NonNullable<ConverseRequest["additionalModelRequestFields"]>;

/** A Converse input without the model id, plus what could not be honoured. */
export interface BedrockRequest {
  input: Omit<ConverseRequest, "modelId">;
  warnings: Warning[];
}

const DOCUMENT_FORMATS = new Set<string>(["pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"]);

/** Maps a request to a Converse input. */
export function toConverseInput(request: GenerateRequest): BedrockRequest {
  const warnings: Warning[] = [];
  const input: BedrockRequest["input"] = {};
  if (request.rawPrompt !== undefined) {
    warnings.push({
      type: "unsupported-setting",
      setting: "rawPrompt",
      message: "Converse has no raw-prompt input; the prompt was sent as one user message, so its template tokens are read as text.",
    });
    input.messages = [{ role: "user", content: [{ text: request.rawPrompt }] }];
  } else {
    input.messages = request.messages.map((message): WireMessage => ({
      role: message.role,
      content: message.content.flatMap((part) => toBlock(part, warnings)),
    }));
  }
  if (request.system) input.system = [{ text: request.system }];
  const inference: NonNullable<ConverseRequest["inferenceConfig"]> = {};
  if (request.maxTokens !== undefined) inference.maxTokens = request.maxTokens;
  if (request.temperature !== undefined) inference.temperature = request.temperature;
  if (request.topP !== undefined) inference.topP = request.topP;
  if (request.stopSequences?.length) inference.stopSequences = request.stopSequences;
  if (Object.keys(inference).length) input.inferenceConfig = inference;
  if (request.topK !== undefined) {
    warnings.push({
      type: "unsupported-setting",
      setting: "topK",
      message: "Converse has no topK; pass the model's own field (e.g. top_k) in additionalModelRequestFields.",
    });
  }
  if (request.tools?.length) {
    input.toolConfig = {
      tools: request.tools.map((tool) => ({
        toolSpec: { name: tool.name, description: tool.description, inputSchema: { json: tool.inputSchema as DocumentType } },
      })),
      toolChoice: toolChoice(request.toolChoice, warnings),
    };
  }
  if (request.providerOptions) input.additionalModelRequestFields = request.providerOptions as DocumentType;
  return { input, warnings };
}

function toolChoice(choice: ToolChoice | undefined, warnings: Warning[]): WireToolChoice | undefined {
  switch (choice?.type) {
    case undefined:
      return undefined;
    case "auto":
      return { auto: {} };
    case "any":
      return { any: {} };
    case "tool":
      return { tool: { name: choice.name } };
    case "none":
      // Converse has no "none", and tools must stay defined while the history holds tool blocks.
      warnings.push({ type: "unsupported-setting", setting: "toolChoice", message: "Converse has no toolChoice none; auto was used." });
      return { auto: {} };
  }
}

function toBlock(part: ContentPart, warnings: Warning[]): ContentBlock[] {
  switch (part.type) {
    case "text":
      return [{ text: part.text }];
    case "image":
      return [{ image: { format: part.format, source: { bytes: part.bytes } } }];
    case "document": {
      if (!DOCUMENT_FORMATS.has(part.format)) {
        warnings.push({ type: "other", message: `Document ${part.name} (${part.format}) was left out: Converse does not read that format.` });
        return [];
      }
      const source = part.bytes ? { bytes: part.bytes } : { text: part.text ?? "" };
      return [{ document: { name: part.name, format: part.format as DocumentFormat, source } }];
    }
    case "tool-call":
      return [{ toolUse: { toolUseId: part.toolCallId, name: part.toolName, input: (part.input ?? {}) as DocumentType } }];
    case "tool-result":
      return [{ toolResult: { toolUseId: part.toolCallId, content: part.content.map(toolResultBlock), status: part.isError ? "error" : "success" } }];
    case "reasoning":
      return [{ reasoningContent: { reasoningText: { text: part.text, signature: part.signature } } }];
  }
}

function toolResultBlock(item: ToolResultContent): ToolResultContentBlock {
  switch (item.type) {
    case "text":
      return { text: item.text };
    case "json":
      return { json: item.value as DocumentType };
    case "image":
      return { image: { format: item.format, source: { bytes: item.bytes } } };
  }
}

/** The Titan Text Embeddings body for one text (Titan embeds one text per call). */
export function titanEmbeddingBody(text: string, request: EmbedRequest): string {
  return JSON.stringify({
    inputText: text,
    ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}),
    ...(request.normalize !== undefined ? { normalize: request.normalize } : {}),
  });
}
