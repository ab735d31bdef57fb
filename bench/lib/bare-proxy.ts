// The floor under any Node gateway, for the gateway benchmark: a bare node:http server that
// forwards /v1/chat/completions to the upstream through Basalt's own keep-alive HTTP/1.1 pool
// (src/models/upstream/http1, the client Basalt uses) and maps the answer to a new JSON object,
// with no validation, auth, usage or logging. Its added latency is what one more loopback hop
// through Node costs on this machine.
// Usage: node --import tsx bench/lib/bare-proxy.ts <port> <upstream origin>
import { createServer } from "node:http";
import { Http1Pool } from "../../src/models/upstream/http1/pool.ts";

const [port, origin] = process.argv.slice(2);
if (!port || !origin) throw new Error("usage: bare-proxy.ts <port> <upstream origin>");
const pool = new Http1Pool(origin, { connections: 64 });
const headers = { "content-type": "application/json" };

function post(body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    pool.dispatch(
      { method: "POST", path: "/v1/chat/completions", headers, body },
      {
        onConnect() {},
        onHeaders: () => true,
        onData: (chunk) => chunks.push(chunk) > 0,
        onComplete: () => resolve(Buffer.concat(chunks).toString("utf8")),
        onError: reject,
      },
    );
  });
}

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    if (req.method !== "POST") return void res.end("{}");
    const request = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { model: string };
    post(JSON.stringify(request)).then(
      (text) => {
        const answer = JSON.parse(text) as Record<string, unknown>;
        const out = JSON.stringify({ id: answer.id, object: "chat.completion", model: request.model, choices: answer.choices, usage: answer.usage });
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(out) });
        res.end(out);
      },
      () => {
        res.writeHead(502);
        res.end();
      },
    );
  });
}).listen(Number(port), "127.0.0.1");
