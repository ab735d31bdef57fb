// A small, fast Anthropic Messages API upstream on a real socket. /v1/messages echoes the
// last user text (honouring max_tokens and stop_sequences), calls a tool when tools are
// offered, and streams the real event sequence; /v1/messages/count_tokens counts words.
// The upstream model name selects a fault: fault-400/401/429/500/529, hang,
// drop-mid-stream, slow-first-byte, malformed-stream, error-event.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import {
  chunked,
  countWords,
  echoReply,
  listenUpstream,
  readJson,
  sendJson,
  writeFrames,
  type FakeUpstream,
  type FakeUpstreamOptions,
  type RecordedRequest,
} from "./upstream-common.ts";

/** Options of {@link startAnthropicUpstream}. */
export type AnthropicUpstreamOptions = FakeUpstreamOptions;

const STATUS_FAULTS: Record<string, number> = { "fault-400": 400, "fault-401": 401, "fault-429": 429, "fault-500": 500, "fault-529": 529 };

function text(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((b) => (b?.type === "text" ? b.text : b?.type === "tool_result" ? `Tool result: ${text(b.content)}` : ""))
    .join("");
}

function promptTokens(body: any): number {
  const system = typeof body.system === "string" ? body.system : "";
  return 1 + countWords(system) + (body.messages ?? []).reduce((n: number, m: any) => n + countWords(text(m.content)), 0);
}

interface Answer {
  blocks: Array<{ type: "text"; tokens: string[] } | { type: "tool_use"; id: string; name: string; json: string }>;
  stopReason: string;
  stopSequence: string | null;
  outputTokens: number;
}

function answer(body: any): Answer {
  const last = body.messages?.at(-1);
  const lastText = text(last?.content);
  const tools: any[] = body.tools ?? [];
  const answersTool = Array.isArray(last?.content) && last.content.some((b: any) => b?.type === "tool_result");
  if (tools.length && !answersTool && body.tool_choice?.type !== "none") {
    const name = body.tool_choice?.name ?? tools[0].name;
    const json = JSON.stringify({ text: lastText });
    return { blocks: [{ type: "text", tokens: [`Calling ${name}.`] }, { type: "tool_use", id: `toolu_${countWords(lastText)}`, name, json }], stopReason: "tool_use", stopSequence: null, outputTokens: 4 };
  }
  const reply = echoReply(lastText, body.max_tokens, body.stop_sequences);
  return {
    blocks: [{ type: "text", tokens: reply.tokens }],
    stopReason: reply.truncated ? "max_tokens" : reply.stopped ? "stop_sequence" : "end_turn",
    stopSequence: reply.stopped ?? null,
    outputTokens: reply.tokens.length,
  };
}

function whole(body: any, a: Answer) {
  return {
    id: "msg_fake",
    type: "message",
    role: "assistant",
    model: body.model,
    content: a.blocks.map((b) => (b.type === "text" ? { type: "text", text: b.tokens.join("") } : { type: "tool_use", id: b.id, name: b.name, input: JSON.parse(b.json) })),
    stop_reason: a.stopReason,
    stop_sequence: a.stopSequence,
    usage: { input_tokens: promptTokens(body), output_tokens: a.outputTokens },
  };
}

function event(type: string, data: object): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

function streamFrames(body: any, a: Answer, options: AnthropicUpstreamOptions): string[] {
  const frames = [event("message_start", { message: { id: "msg_fake", type: "message", role: "assistant", model: body.model, content: [], stop_reason: null, usage: { input_tokens: promptTokens(body), output_tokens: 1 } } })];
  frames.push(event("ping", {}));
  a.blocks.forEach((block, index) => {
    if (block.type === "text") {
      frames.push(event("content_block_start", { index, content_block: { type: "text", text: "" } }));
      for (const piece of chunked(block.tokens, options.chunkCount)) frames.push(event("content_block_delta", { index, delta: { type: "text_delta", text: piece } }));
    } else {
      frames.push(event("content_block_start", { index, content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } }));
      const half = Math.ceil(block.json.length / 2);
      for (const part of [block.json.slice(0, half), block.json.slice(half)]) frames.push(event("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: part } }));
    }
    frames.push(event("content_block_stop", { index }));
  });
  frames.push(event("message_delta", { delta: { stop_reason: a.stopReason, stop_sequence: a.stopSequence }, usage: { output_tokens: a.outputTokens } }));
  frames.push(event("message_stop", {}));
  return frames;
}

function respond(res: ServerResponse, body: any, options: AnthropicUpstreamOptions): void {
  const a = answer(body);
  if (!body.stream) return sendJson(res, 200, whole(body, a));
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  let frames = streamFrames(body, a, options);
  const delay = options.chunkDelayMs ?? 0;
  if (body.model === "drop-mid-stream") {
    writeFrames(res, frames.slice(0, 4), delay || 5, () => setTimeout(() => res.destroy(), 5));
    return;
  }
  if (body.model === "malformed-stream") frames = [...frames.slice(0, 4), "event: content_block_delta\ndata: {oops\n\n", ...frames.slice(4)];
  if (body.model === "error-event") frames = [...frames.slice(0, 4), event("error", { error: { type: "api_error", message: "upstream secret detail" } })];
  writeFrames(res, frames, delay);
}

/** Starts the fake Anthropic upstream on a loopback port. */
export async function startAnthropicUpstream(options: AnthropicUpstreamOptions = {}): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = [];
  const record = options.record ?? true;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readJson(req);
    const path = req.url ?? "";
    if (record) requests.push({ path, headers: req.headers, body });
    const error = (status: number, type: string, message: string, headers?: Record<string, string>) =>
      sendJson(res, status, { type: "error", error: { type, message } }, headers);
    if (options.apiKey && req.headers["x-api-key"] !== options.apiKey) return error(401, "authentication_error", "invalid x-api-key");
    if (req.headers["anthropic-version"] !== "2023-06-01") return error(400, "invalid_request_error", "anthropic-version header is required");
    if (req.method !== "POST" || !body) return error(400, "invalid_request_error", "expected a JSON POST");
    const fault = STATUS_FAULTS[body.model];
    if (fault) return error(fault, "fake_error", `scripted ${fault} with upstream-only detail`, fault === 429 ? { "retry-after": "3" } : {});
    if (body.model === "hang") return;
    if (body.model === "slow-first-byte") await new Promise((r) => setTimeout(r, options.slowFirstByteMs ?? 200));
    if (path === "/v1/messages/count_tokens") {
      if ("max_tokens" in body) return error(400, "invalid_request_error", "max_tokens: Extra inputs are not permitted");
      return sendJson(res, 200, { input_tokens: promptTokens(body) });
    }
    if (path === "/v1/messages") {
      if (typeof body.max_tokens !== "number") return error(400, "invalid_request_error", "max_tokens: Field required");
      return respond(res, body, options);
    }
    error(404, "not_found_error", `no route ${path}`);
  };
  const server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  return listenUpstream(server, options, requests);
}
