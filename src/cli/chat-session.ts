// One conversation with a model on a running Basalt server, through the real AWS SDK
// ConverseStream client: keeps the multi-turn history and streams each answer's deltas.
import {
  BedrockRuntimeClient,
  ConverseStreamCommand,
  type InferenceConfiguration,
  type Message,
  type TokenUsage,
} from "@aws-sdk/client-bedrock-runtime";

/** Options of {@link ChatSession}. */
export interface ChatSessionOptions {
  endpoint: string;
  modelId: string;
  system?: string;
  maxTokens?: number;
  temperature?: number;
}

/** How one answer ended. */
export interface ChatAnswer {
  text: string;
  stopReason?: string;
  usage?: TokenUsage;
}

// A local server needs no credentials, but the SDK refuses to sign without some; real ones
// are used when the environment names them (Basalt may sit behind IAM-style auth one day).
function credentials() {
  const env = process.env;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN };
  }
  if (env.AWS_PROFILE) return undefined; // the SDK's default chain reads the profile
  return { accessKeyId: "BASALTLOCAL", secretAccessKey: "basalt-local-no-credentials-needed" };
}

/** A multi-turn chat: history in, streamed answer out. */
export class ChatSession {
  private readonly client: BedrockRuntimeClient;
  private history: Message[] = [];

  constructor(private readonly options: ChatSessionOptions) {
    // The SDK warns on Node 20 about its releases after January 2027; Basalt pins the SDK,
    // so the warning is noise in the middle of a chat. An explicit setting is respected.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    this.client = new BedrockRuntimeClient({
      endpoint: options.endpoint,
      region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
      credentials: credentials(),
      // One attempt: in a terminal, a prompt error beats a silent retry loop.
      maxAttempts: 1,
    });
  }

  /** Messages in the history (user and assistant). */
  get length(): number {
    return this.history.length;
  }

  /** Forgets the conversation; returns how many messages were dropped. */
  reset(): number {
    const dropped = this.history.length;
    this.history = [];
    return dropped;
  }

  /**
   * Sends `text` as the next user turn, calling `onDelta` with each piece of the answer.
   * The turn joins the history only when the answer completes, so a cancelled or failed
   * turn leaves the conversation as it was (Converse needs strictly alternating roles).
   */
  async send(text: string, options: { signal: AbortSignal; onDelta(text: string): void }): Promise<ChatAnswer> {
    const user: Message = { role: "user", content: [{ text }] };
    const inferenceConfig: InferenceConfiguration = {};
    if (this.options.maxTokens !== undefined) inferenceConfig.maxTokens = this.options.maxTokens;
    if (this.options.temperature !== undefined) inferenceConfig.temperature = this.options.temperature;
    const response = await this.client.send(
      new ConverseStreamCommand({
        modelId: this.options.modelId,
        messages: [...this.history, user],
        system: this.options.system ? [{ text: this.options.system }] : undefined,
        inferenceConfig: Object.keys(inferenceConfig).length ? inferenceConfig : undefined,
      }),
      { abortSignal: options.signal },
    );
    const answer: ChatAnswer = { text: "" };
    for await (const event of response.stream ?? []) {
      const delta = event.contentBlockDelta?.delta?.text;
      if (delta) {
        answer.text += delta;
        options.onDelta(delta);
      }
      if (event.messageStop) answer.stopReason = event.messageStop.stopReason;
      if (event.metadata?.usage) answer.usage = event.metadata.usage;
    }
    // An aborted HTTP/2 stream just ends, and so does a dropped connection: neither is an answer.
    options.signal.throwIfAborted();
    if (answer.stopReason === undefined) throw new Error("the connection closed before the answer was complete");
    // An empty text block is invalid in a later request, so an empty answer is not kept.
    if (answer.text) this.history.push(user, { role: "assistant", content: [{ text: answer.text }] });
    return answer;
  }

  /** Closes the client's connections so the process can exit. */
  close(): void {
    this.client.destroy();
  }
}
