// `basalt chat <model-id>`: an interactive streaming chat against a running server. On a
// terminal it prompts; with piped stdin it answers each line in turn and exits at EOF
// (exit code 1 when any turn failed, so scripts notice).
import { createInterface, type Interface } from "node:readline";
import { Command } from "commander";
import { ChatSession, type ChatAnswer } from "./chat-session.ts";
import { parseNumber, parsePositiveInt } from "./config-options.ts";
import { err, out } from "./output.ts";

const DEFAULT_ENDPOINT = "http://127.0.0.1:8787";
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "EHOSTUNREACH", "ETIMEDOUT"]);
const COMMANDS = "/reset clears the history, /exit quits, Ctrl-C cancels an answer";

/** Options of `chat`. */
interface ChatOptions {
  endpoint?: string;
  system?: string;
  maxTokens?: number;
  temperature?: number;
  usage?: boolean;
}

/** Prints a failed turn: the Bedrock exception name and message, plus advice for a dead server. */
function describeError(error: unknown, endpoint: string): string {
  const e = error as { name?: string; message?: string };
  // The SDK wraps the socket error (ERR_HTTP2_STREAM_CANCEL caused by ECONNREFUSED).
  const codes: unknown[] = [];
  for (let c = error as { code?: unknown; cause?: unknown } | undefined; c && codes.length < 5; c = c.cause as typeof c) codes.push(c.code);
  const code = codes.find((c): c is string => typeof c === "string" && UNREACHABLE.has(c));
  if (code) {
    return `cannot reach Basalt at ${endpoint} (${code}). Is \`basalt serve\` running? Point elsewhere with --endpoint or BASALT_ENDPOINT.`;
  }
  return `${e.name ?? "Error"}: ${e.message ?? String(error)}`;
}

function usageLine(answer: ChatAnswer, seconds: number): string {
  const u = answer.usage;
  const tokens = u ? `${u.inputTokens ?? "?"} in, ${u.outputTokens ?? "?"} out` : "no usage reported";
  return `[${tokens} tokens, ${seconds.toFixed(1)}s${answer.stopReason && answer.stopReason !== "end_turn" ? `, stop: ${answer.stopReason}` : ""}]`;
}

async function chat(modelId: string, options: ChatOptions): Promise<void> {
  const endpoint = options.endpoint ?? process.env.BASALT_ENDPOINT ?? DEFAULT_ENDPOINT;
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const showUsage = options.usage ?? interactive;
  const session = new ChatSession({ endpoint, modelId, system: options.system, maxTokens: options.maxTokens, temperature: options.temperature });
  // Notes go to stdout on a terminal, to stderr when piped, so stdout holds only answers.
  const note = (text: string) => (interactive ? process.stdout.write(out.dim(`${text}\n`)) : process.stderr.write(`${text}\n`));

  let current: AbortController | undefined;
  let failures = 0;
  const rl: Interface = createInterface({ input: process.stdin, output: interactive ? process.stdout : undefined, terminal: interactive });
  rl.setPrompt(out.green("you › "));
  const quit = () => {
    if (interactive) process.stdout.write("\n");
    current?.abort();
    rl.close();
    session.close();
    process.exit(130);
  };
  // Ctrl-C: the first cancels the answer in progress; one with nothing to cancel exits.
  const interrupt = () => {
    if (current && !current.signal.aborted) current.abort();
    else if (interactive && rl.line) {
      // Clear the half-typed line, as a shell does: go to its end, then delete to the start.
      rl.write(null, { ctrl: true, name: "e" });
      rl.write(null, { ctrl: true, name: "u" });
    } else quit();
  };
  rl.on("SIGINT", interrupt); // a terminal in raw mode delivers Ctrl-C to readline
  process.on("SIGINT", interrupt); // piped stdin: Ctrl-C or `kill -INT` reach the process

  if (interactive) {
    process.stdout.write(`Chatting with ${out.bold(out.cyan(modelId))} at ${endpoint}\n${out.dim(COMMANDS)}\n`);
    rl.prompt();
  }
  for await (const raw of rl) {
    const line = raw.trim();
    if (!line) {
      if (interactive) rl.prompt();
      continue;
    }
    if (line === "/exit" || line === "/quit") break;
    if (line === "/reset") {
      const dropped = session.reset();
      note(`History cleared (${dropped} message${dropped === 1 ? "" : "s"}).`);
    } else if (line === "/help") {
      note(COMMANDS);
    } else if (/^\/[a-z]+$/.test(line)) {
      note(`Unknown command ${line}: ${COMMANDS}.`);
    } else {
      current = new AbortController();
      const started = Date.now();
      let printed = false;
      try {
        const answer = await session.send(line, {
          signal: current.signal,
          onDelta: (delta) => {
            printed = true;
            process.stdout.write(interactive ? out.cyan(delta) : delta);
          },
        });
        process.stdout.write("\n");
        if (!answer.text) note("(the model returned no text)");
        if (showUsage) note(usageLine(answer, (Date.now() - started) / 1000));
      } catch (error) {
        if (printed) process.stdout.write("\n");
        if (current.signal.aborted) note("[cancelled]");
        else {
          failures++;
          process.stderr.write(`${err.red("error:")} ${describeError(error, endpoint)}\n`);
        }
      } finally {
        current = undefined;
      }
    }
    if (interactive) rl.prompt();
  }
  rl.close();
  process.off("SIGINT", interrupt);
  session.close();
  if (failures && !interactive) process.exitCode = 1;
}

/** The chat command. */
export function chatCommand(): Command {
  return new Command("chat")
    .description("chat with a model on a running Basalt server (streams answers; reads piped stdin too)")
    .argument("<model-id>", "model id, alias or ARN (see `basalt models list`)")
    .option("--endpoint <url>", `server URL (env BASALT_ENDPOINT; default ${DEFAULT_ENDPOINT})`)
    .option("--system <text>", "system prompt")
    .option("--max-tokens <n>", "maximum tokens per answer", parsePositiveInt)
    .option("--temperature <t>", "sampling temperature", parseNumber)
    .option("--usage", "print token usage after each answer (default on a terminal)")
    .option("--no-usage", "do not print token usage")
    .addHelpText("after", `\nIn the chat: ${COMMANDS}.\nExample: echo "Hello" | basalt chat mock.echo`)
    .action(chat);
}
