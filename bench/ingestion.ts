// Ingestion throughput through the real server: a fixed mixed-format corpus (the test suite's
// document of every text format, plus multi-page PDFs, repeated with varied text) in a folder
// bucket, one StartIngestionJob, timed from start to COMPLETE. Reports documents/s and pages/s
// (PDF pages and spreadsheet sheets count as pages, every other document as one page).
// Usage: node --import tsx bench/ingestion.ts [--copies N]. Writes bench/results/ingestion.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { parseConfig } from "../src/config/loader.ts";
import { startServer } from "../src/server.ts";
import { makePdf, makeTestDocuments } from "../test/helpers/documents.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const copies = arg("copies", 20);

const WORDS = "river harbour station quarry meadow turbine glacier orchard bridge tunnel furnace lantern".split(" ");
function prose(seed: number, sentences: number): string[] {
  return Array.from({ length: sentences }, (_, s) => {
    const w = (k: number) => WORDS[(seed * 7 + s * 3 + k) % WORDS.length];
    return `Report ${seed}.${s}: the ${w(0)} near the ${w(1)} measured ${(seed * 13 + s * 17) % 997} units, while the ${w(2)} and the ${w(3)} stayed within their limits.`;
  });
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "basalt-bench-ingest-"));
  const bucket = join(work, "data", "buckets", "corpus");
  mkdirSync(bucket, { recursive: true });
  const base = (await makeTestDocuments()).filter((d) => !d.needsOcr);
  let documents = 0;
  let pages = 0;
  for (let c = 0; c < copies; c++) {
    for (const doc of base) {
      writeFileSync(join(bucket, `${c}-${doc.fileName}`), doc.bytes);
      documents++;
      pages += doc.format === "pdf" ? 3 : doc.format === "xlsx" || doc.format === "xls" ? 1 : 1;
    }
    const pdfPages = Array.from({ length: 10 }, (_, p) => ({ heading: `Section ${p + 1}`, paragraphs: [prose(c * 10 + p, 6).join(" "), prose(c * 10 + p + 1000, 6).join(" ")] }));
    writeFileSync(join(bucket, `${c}-report.pdf`), await makePdf({ pages: pdfPages }));
    documents++;
    pages += pdfPages.length;
  }
  const config = parseConfig({ dataDir: join(work, "data"), server: { port: 0 }, logging: { level: "warn" } });
  const server = await startServer({ config, logger: pino({ level: "warn" }) });
  try {
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(server.url + path, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, any>;
    };
    const { knowledgeBase } = await call("PUT", "/knowledgebases/", {
      name: "bench",
      roleArn: "arn:aws:iam::000000000000:role/bench",
      knowledgeBaseConfiguration: { type: "VECTOR", vectorKnowledgeBaseConfiguration: { embeddingModelArn: "basalt.use-lite-v1" } },
    });
    const kb = knowledgeBase.knowledgeBaseId as string;
    const { dataSource } = await call("PUT", `/knowledgebases/${kb}/datasources/`, {
      name: "corpus",
      dataSourceConfiguration: { type: "S3", s3Configuration: { bucketArn: "arn:aws:s3:::corpus" } },
    });
    const jobs = `/knowledgebases/${kb}/datasources/${dataSource.dataSourceId}/ingestionjobs/`;
    const started = performance.now();
    const { ingestionJob } = await call("PUT", jobs, {});
    let job = ingestionJob;
    while (!["COMPLETE", "FAILED", "STOPPED"].includes(job.status)) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await call("GET", jobs + ingestionJob.ingestionJobId)).ingestionJob;
    }
    const seconds = (performance.now() - started) / 1000;
    if (job.status !== "COMPLETE" || job.statistics.numberOfDocumentsFailed) throw new Error(`ingestion ended ${job.status}: ${JSON.stringify(job.failureReasons)}`);
    const row = { documents, pages, seconds, documentsPerSecond: documents / seconds, pagesPerSecond: pages / seconds };
    console.log(`\nMixed corpus: ${copies} copies of txt, md, html, pdf, docx, doc, csv, xlsx, xls + a 10-page PDF\n`);
    console.log("| documents | pages | seconds | documents/s | pages/s |\n|---|---|---|---|---|");
    console.log(`| ${documents} | ${pages} | ${seconds.toFixed(1)} | ${row.documentsPerSecond.toFixed(1)} | ${row.pagesPerSecond.toFixed(1)} |`);
    mkdirSync("bench/results", { recursive: true });
    writeFileSync("bench/results/ingestion.json", JSON.stringify(row, null, 2));
  } finally {
    await server.close(1000);
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
