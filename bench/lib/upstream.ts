// A minimal, fast OpenAI-compatible upstream for gateway benchmarks, run as its own process:
// `node --import tsx bench/lib/upstream.ts <port>`. Non-streaming chat answers at once;
// streaming sends `chunks` SSE chunks `chunkDelayMs` apart (from the request's model name,
// e.g. "stream-64x20", else 8 chunks with no delay). Prints "ready <port>" when listening.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const reply = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 1,
  model: "bench",
  choices: [{ index: 0, message: { role: "assistant", content: "Hello from the benchmark upstream." }, finish_reason: "stop" }],
  usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
});

function chunk(content: string | null, finish: string | null, usage?: object): string {
  const choices = content === null && finish === null ? [] : [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }];
  return `data: ${JSON.stringify({ id: "chatcmpl-bench", object: "chat.completion.chunk", created: 1, model: "bench", choices, ...(usage ? { usage } : {}) })}\n\n`;
}

const server = createServer((req, res) => {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    let parsed: { stream?: boolean; model?: string } = {};
    try {
      parsed = JSON.parse(body);
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (!parsed.stream) {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(reply) });
      res.end(reply);
      return;
    }
    const match = /stream-(\d+)x(\d+)/.exec(parsed.model ?? "");
    const chunks = match ? Number(match[1]) : 8;
    const delay = match ? Number(match[2]) : 0;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    let sent = 0;
    const tick = () => {
      if (res.destroyed) return;
      if (sent < chunks) {
        res.write(chunk(sent === 0 ? "tok0" : ` tok${sent}`, null));
        sent++;
        if (delay) setTimeout(tick, delay);
        else setImmediate(tick);
        return;
      }
      res.write(chunk(null, "stop"));
      res.write(chunk(null, null, { prompt_tokens: 12, completion_tokens: chunks, total_tokens: 12 + chunks }));
      res.end("data: [DONE]\n\n");
    };
    tick();
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  process.stdout.write(`ready ${(server.address() as AddressInfo).port}\n`);
});
