// Llama and Mistral bodies carry a prompt already in the model's chat template. Backends that
// complete raw text use it as is (GenerateRequest.rawPrompt); chat-only backends (Anthropic,
// OpenAI chat) need turns, so the common templates are read back into messages here.
import type { Message } from "../../spec/model.ts";

/** Turns read from a templated prompt. */
export interface PromptTurns {
  system?: string;
  messages: Message[];
}

const LLAMA3_TURN = /<\|start_header_id\|>\s*(\w+)\s*<\|end_header_id\|>([\s\S]*?)(?=<\|eot_id\|>|<\|start_header_id\|>|$)/g;
const INST_TURN = /\[INST\]([\s\S]*?)\[\/INST\]([\s\S]*?)(?=\[INST\]|$)/g;
const LLAMA2_SYSTEM = /<<SYS>>([\s\S]*?)<<\/SYS>>/;
/** Template tokens that never belong in a turn's text. */
const SPECIAL_TOKENS = /<\/?s>|<\|begin_of_text\|>|<\|eot_id\|>|<\|end_of_text\|>/g;

function text(raw: string): string {
  return raw.replace(SPECIAL_TOKENS, "").trim();
}

function push(messages: Message[], role: Message["role"], value: string): void {
  if (!value) return;
  const last = messages[messages.length - 1];
  if (last?.role === role) last.content.push({ type: "text", text: value });
  else messages.push({ role, content: [{ type: "text", text: value }] });
}

/** Llama 3: `<|start_header_id|>role<|end_header_id|> … <|eot_id|>`. */
function llama3(prompt: string): PromptTurns {
  const messages: Message[] = [];
  const system: string[] = [];
  for (const [, role, body] of prompt.matchAll(LLAMA3_TURN)) {
    const value = text(body ?? "");
    if (role === "system") system.push(value);
    else push(messages, role === "assistant" ? "assistant" : "user", value); // ipython/tool output reads as user input
  }
  return { system: system.filter(Boolean).join("\n") || undefined, messages };
}

/** Llama 2 and Mistral: `<s>[INST] <<SYS>>…<</SYS>> user [/INST] answer</s>`. */
function inst(prompt: string): PromptTurns {
  const messages: Message[] = [];
  let system: string | undefined;
  for (const [, user, answer] of prompt.matchAll(INST_TURN)) {
    let userText = user ?? "";
    const sys = LLAMA2_SYSTEM.exec(userText);
    if (sys) {
      system = text(sys[1] ?? "") || undefined;
      userText = userText.replace(LLAMA2_SYSTEM, "");
    }
    push(messages, "user", text(userText));
    push(messages, "assistant", text(answer ?? ""));
  }
  return { system, messages };
}

/** Reads a templated prompt into turns; an untemplated prompt is one user turn. */
export function promptToTurns(prompt: string): PromptTurns {
  const parsed = prompt.includes("<|start_header_id|>") ? llama3(prompt) : prompt.includes("[INST]") ? inst(prompt) : undefined;
  if (parsed?.messages.length) return parsed;
  return { system: parsed?.system, messages: [{ role: "user", content: [{ type: "text", text: text(prompt) || prompt }] }] };
}
