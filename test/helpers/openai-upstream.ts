// A small, fast OpenAI-compatible upstream on a real socket, for provider tests, end-to-end
// fault tests and the gateway benchmark. /v1/chat/completions echoes the last user message
// (honouring max_tokens and stop, vLLM-style `stop_reason`), calls tools when tools are
// offered, and streams SSE with usage. The upstream model name selects a fault:
// fault-400/401/429/500, hang, drop-mid-stream, slow-first-byte, malformed-stream,
// error-event, no-usage, parallel-tools.
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

/** Options of {@link startOpenAiUpstream}. */
export type OpenAiUpstreamOptions = FakeUpstreamOptions;

const STATUS_FAULTS: Record<string, number> = { "fault-400": 400, "fault-401": 401, "fault-429": 429, "fault-500": 500 };

function text(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((p) => (p?.type === "text" ? p.text : "")).join("");
  return "";
}

interface Answer {
  content: string[];
  toolCalls: Array<{ id: string; name: string; fragments: string[] }>;
  finish: string;
  stopReason?: string;
  promptTokens: number;
}

/** Decides what the echo model says to a chat (or completions) request. */
function answer(body: any, completions: boolean): Answer {
  const messages: any[] = completions ? [{ role: "user", content: body.prompt }] : (body.messages ?? []);
  const promptTokens = 1 + messages.reduce((n, m) => n + countWords(text(m.content)), 0);
  const last = messages.at(-1);
  const tools: any[] = body.tools ?? [];
  if (last?.role === "tool") {
    return { content: [`Tool result: ${text(last.content)}`], toolCalls: [], finish: "stop", promptTokens };
  }
  if (tools.length && body.tool_choice !== "none" && last?.role === "user") {
    const chosen = body.tool_choice?.function?.name ?? tools[0].function.name;
    const args = JSON.stringify({ text: text(last.content) });
    const third = Math.ceil(args.length / 3);
    const fragments = [args.slice(0, third), args.slice(third, 2 * third), args.slice(2 * third)];
    const names = body.model === "parallel-tools" ? [chosen, tools.at(-1).function.name] : [chosen];
    return {
      content: [`Calling ${chosen}.`],
      toolCalls: names.map((name, i) => ({ id: `call_${i}_${countWords(args)}`, name, fragments })),
      finish: "tool_calls",
      promptTokens,
    };
  }
  const reply = echoReply(text(last?.content), body.max_tokens, typeof body.stop === "string" ? [body.stop] : body.stop);
  return { content: reply.tokens, toolCalls: [], finish: reply.truncated ? "length" : "stop", stopReason: reply.stopped, promptTokens };
}

function usage(a: Answer) {
  const completion = a.content.length + a.toolCalls.length * 3;
  return { prompt_tokens: a.promptTokens, completion_tokens: completion, total_tokens: a.promptTokens + completion };
}

function whole(body: any, a: Answer, completions: boolean) {
  const content = a.content.join("");
  const choice = completions
    ? { index: 0, text: content, finish_reason: a.finish }
    : {
        index: 0,
        message: {
          role: "assistant",
          content,
          ...(a.toolCalls.length
            ? { tool_calls: a.toolCalls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.fragments.join("") } })) }
            : {}),
        },
        finish_reason: a.finish,
      };
  return {
    id: "chatcmpl-fake",
    object: completions ? "text_completion" : "chat.completion",
    created: 1,
    model: body.model,
    choices: [{ ...choice, ...(a.stopReason ? { stop_reason: a.stopReason } : {}) }],
    ...(body.model === "no-usage" ? {} : { usage: usage(a) }),
  };
}

function frame(data: unknown): string {
  return `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
}

function streamFrames(body: any, a: Answer, completions: boolean, options: OpenAiUpstreamOptions): string[] {
  const chunk = (choice: object) => frame({ id: "chatcmpl-fake", object: "chat.completion.chunk", created: 1, model: body.model, choices: [{ index: 0, ...choice }] });
  const frames: string[] = [];
  for (const piece of chunked(a.content, options.chunkCount)) {
    frames.push(chunk(completions ? { text: piece, finish_reason: null } : { delta: { content: piece }, finish_reason: null }));
  }
  const fragments = a.toolCalls.map((call, index) => call.fragments.map((args, j) => ({ index, ...(j === 0 ? { id: call.id, type: "function" } : {}), function: { ...(j === 0 ? { name: call.name } : {}), arguments: args } })));
  // parallel-tools interleaves the calls' fragments, which servers are allowed to do.
  const rounds = Math.max(0, ...fragments.map((f) => f.length));
  for (let j = 0; j < rounds; j++) for (const f of fragments) if (f[j]) frames.push(chunk({ delta: { tool_calls: [f[j]] }, finish_reason: null }));
  frames.push(chunk({ delta: {}, finish_reason: a.finish, ...(a.stopReason ? { stop_reason: a.stopReason } : {}) }));
  if (body.stream_options?.include_usage && body.model !== "no-usage") {
    frames.push(frame({ id: "chatcmpl-fake", object: "chat.completion.chunk", created: 1, model: body.model, choices: [], usage: usage(a) }));
  }
  frames.push(frame("[DONE]"));
  return frames;
}

function respond(res: ServerResponse, body: any, completions: boolean, options: OpenAiUpstreamOptions): void {
  const a = answer(body, completions);
  if (!body.stream) {
    if (body.model === "drop-mid-stream") {
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      res.write('{"id":"chatcmpl-fake","choices":[');
      setTimeout(() => res.destroy(), 5);
      return;
    }
    sendJson(res, 200, whole(body, a, completions));
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  let frames = streamFrames(body, a, completions, options);
  const delay = options.chunkDelayMs ?? 0;
  if (body.model === "drop-mid-stream") {
    writeFrames(res, frames.slice(0, 2), delay || 5, () => setTimeout(() => res.destroy(), 5));
    return;
  }
  if (body.model === "malformed-stream") frames = [frames[0]!, "data: {not json\n\n", ...frames.slice(1)];
  if (body.model === "error-event") frames = [frames[0]!, frame({ error: { message: "upstream secret detail", type: "server_error" } })];
  writeFrames(res, frames, delay);
}

function embeddings(res: ServerResponse, body: any): void {
  const inputs: string[] = typeof body.input === "string" ? [body.input] : body.input;
  const dimensions: number = body.dimensions ?? 8;
  // Deterministic and deliberately not unit length, so callers' normalisation shows.
  const data = inputs.map((input, index) => {
    let seed = 0;
    for (let i = 0; i < input.length; i++) seed = (seed * 31 + input.charCodeAt(i)) % 1_000_003;
    const embedding = Array.from({ length: dimensions }, (_, i) => ((seed * (i + 7)) % 97) + 1);
    return { object: "embedding", index, embedding };
  });
  const tokens = inputs.reduce((n, t) => n + countWords(t), 0);
  sendJson(res, 200, { object: "list", data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } });
}

/** Starts the fake OpenAI-compatible upstream on a loopback port. */
export async function startOpenAiUpstream(options: OpenAiUpstreamOptions = {}): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = [];
  const record = options.record ?? true;
  let hanging = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readJson(req);
    const path = req.url ?? "";
    if (record) requests.push({ path, headers: req.headers, body });
    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return sendJson(res, 401, { error: { message: "Incorrect API key provided", type: "invalid_request_error" } });
    }
    if (req.method !== "POST" || !body) return sendJson(res, 400, { error: { message: "expected a JSON POST" } });
    const fault = STATUS_FAULTS[body.model];
    if (fault) {
      const headers: Record<string, string> = fault === 429 ? { "retry-after": "7" } : {};
      return sendJson(res, fault, { error: { message: `scripted ${fault} with upstream-only detail`, type: "fake" } }, headers);
    }
    if (body.model === "hang") {
      // Never answers: the caller's deadline must fire, or the caller cancel.
      hanging++;
      res.on("close", () => hanging--);
      return;
    }
    if (body.model === "slow-first-byte") await new Promise((r) => setTimeout(r, options.slowFirstByteMs ?? 200));
    if (path === "/v1/chat/completions") return respond(res, body, false, options);
    if (path === "/v1/completions") return respond(res, body, true, options);
    if (path === "/v1/embeddings") return embeddings(res, body);
    sendJson(res, 404, { error: { message: `no route ${path}` } });
  };
  const server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  return listenUpstream(server, options, requests, () => hanging);
}
