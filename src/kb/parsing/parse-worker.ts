// Entry of the parse worker thread (started by parse-sandbox.ts): runs one task per message —
// parse a document, or render one PDF page for OCR — and answers with the result or with the
// failure's reason and message. A rendered page travels back as a transferred buffer.
import { parentPort } from "node:worker_threads";
import { DocumentParseError, shortCause } from "./document-parse-error.ts";
import { parseFormat } from "./parse-format.ts";
import type { ParseReply, ParseRequest } from "./parse-sandbox.ts";

const port = parentPort;
if (port) {
  port.on("message", async (request: ParseRequest) => {
    let reply: ParseReply;
    try {
      const { task } = request;
      if (task.kind === "parse") {
        reply = { id: request.id, ok: true, result: await parseFormat(task.format, request.bytes, task.options) };
      } else {
        const { renderPdfPage } = await import("./pdf.ts");
        reply = { id: request.id, ok: true, result: await renderPdfPage(request.bytes, task.page, task.dpi) };
      }
    } catch (error) {
      const failure = error instanceof DocumentParseError ? error : new DocumentParseError("MALFORMED", `the document could not be read: ${shortCause(error)}`);
      reply = { id: request.id, ok: false, reason: failure.reason, message: failure.message };
    }
    const transfer = reply.ok && reply.result instanceof Uint8Array ? [reply.result.buffer as ArrayBuffer] : [];
    port.postMessage(reply, transfer);
  });
}
