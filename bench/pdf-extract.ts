// PDF text extraction benchmark: Basalt's document parser (pdfjs-dist in a worker thread,
// lines and paragraphs rebuilt, pages tagged) side by side with `pdftotext` from Debian's
// poppler-utils, on the same fixed corpus: 300 text pages of deterministic prose in 10 files,
// made with pdfkit. Files are read from disk by both, one at a time (pdftotext is one process
// per file, as a pipeline would run it); each round parses the whole corpus; the median of the
// rounds is reported, after one warm-up round.
// Usage: node --import tsx bench/pdf-extract.ts [--quick]. Prints a table and writes
// bench/results/pdf-extract.json. Without pdftotext on PATH it says so and skips the anchor.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createDocumentParser } from "../src/kb/parsing/document-parser.ts";
import { makePdf, type PdfPageSpec } from "../test/helpers/documents.ts";
import { seededRandom } from "../src/util/seeded-random.ts";

const quick = process.argv.includes("--quick");
const FILES = 10;
const PAGES_PER_FILE = quick ? 6 : 30;
const ROUNDS = quick ? 3 : 5;

const WORDS = (
  "the of and to in is that for on with as by at from this which be are an it or was were has have not but their its " +
  "turbine blade rotor tower nacelle gearbox bearing generator converter foundation cable grid substation inspection " +
  "maintenance operator engineer crew schedule interval torque vibration sensor temperature pressure output capacity " +
  "wind speed direction yaw pitch control system safety procedure report survey site access road crane weather season"
).split(" ");

function sentence(next: () => number): string {
  const length = 8 + Math.floor(next() * 14);
  const words = Array.from({ length }, () => WORDS[Math.floor(next() * WORDS.length)]!);
  const text = words.join(" ");
  return `${text[0]!.toUpperCase()}${text.slice(1)}.`;
}

/** Pages of prose that each fit one letter page: a heading and four paragraphs of ~90 words. */
function pages(fileIndex: number, next: () => number): PdfPageSpec[] {
  return Array.from({ length: PAGES_PER_FILE }, (_, i) => ({
    heading: `Section ${fileIndex + 1}.${i + 1}`,
    paragraphs: Array.from({ length: 4 }, () => Array.from({ length: 5 }, () => sentence(next)).join(" ")),
  }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function hasPdftotext(): boolean {
  const probe = spawnSync("pdftotext", ["-v"], { encoding: "utf8" });
  return !probe.error;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "basalt-pdf-bench-"));
  try {
    const next = seededRandom(20240102);
    const files: string[] = [];
    for (let f = 0; f < FILES; f++) {
      const file = join(dir, `corpus-${String(f + 1).padStart(2, "0")}.pdf`);
      writeFileSync(file, await makePdf({ title: `Corpus file ${f + 1}`, pages: pages(f, next) }));
      files.push(file);
    }

    const parser = createDocumentParser();
    let pageTotal = 0;
    let basaltChars = 0;
    const basaltRound = async () => {
      let pagesSeen = 0;
      let chars = 0;
      for (const file of files) {
        const document = await parser.parse({ bytes: readFileSync(file), fileName: file });
        pagesSeen += document.pageCount ?? 0;
        chars += document.blocks.reduce((sum, b) => sum + b.text.length, 0);
      }
      pageTotal = pagesSeen;
      basaltChars = chars;
    };

    const anchor = hasPdftotext();
    let popplerChars = 0;
    const popplerRound = () => {
      let chars = 0;
      for (const file of files) {
        const run = spawnSync("pdftotext", ["-enc", "UTF-8", file, "-"], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
        if (run.status !== 0) throw new Error(`pdftotext failed on ${file}: ${run.stderr}`);
        chars += run.stdout.replace(/\s+/g, " ").trim().length;
      }
      popplerChars = chars;
    };

    // Warm-up: starts Basalt's parse worker and loads pdfjs; warms the page cache for both.
    await basaltRound();
    if (anchor) popplerRound();
    const basaltTimes: number[] = [];
    const popplerTimes: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      let start = performance.now();
      await basaltRound();
      basaltTimes.push((performance.now() - start) / 1000);
      if (anchor) {
        start = performance.now();
        popplerRound();
        popplerTimes.push((performance.now() - start) / 1000);
      }
    }
    await parser.close();

    const expectedPages = FILES * PAGES_PER_FILE;
    if (pageTotal !== expectedPages) throw new Error(`corpus has ${pageTotal} pages, expected ${expectedPages}`);
    const basaltSeconds = median(basaltTimes);
    const popplerSeconds = anchor ? median(popplerTimes) : undefined;
    const fmt = (n: number | undefined, digits = 1) => (n === undefined ? "—" : n.toFixed(digits));
    const cpu = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}`;
    const popplerVersion = anchor ? (spawnSync("pdftotext", ["-v"], { encoding: "utf8" }).stderr.split("\n")[0] ?? "pdftotext") : undefined;

    console.log(`\nPDF extraction benchmark — ${new Date().toISOString()} — ${cpu}, Node ${process.version}`);
    console.log(`corpus: ${FILES} files, ${pageTotal} pages of generated prose (pdfkit); median of ${ROUNDS} rounds after a warm-up\n`);
    if (!anchor) console.log("pdftotext not found (apt-get install -y poppler-utils): the anchor is skipped\n");
    console.log("| extractor | pages | seconds | pages/s | characters out |\n|---|---|---|---|---|");
    console.log(`| Basalt (pdfjs-dist 5.6.205, worker thread) | ${pageTotal} | ${fmt(basaltSeconds, 2)} | ${fmt(pageTotal / basaltSeconds)} | ${basaltChars} |`);
    if (anchor) {
      console.log(`| ${popplerVersion} (one process per file) | ${pageTotal} | ${fmt(popplerSeconds, 2)} | ${fmt(pageTotal / popplerSeconds!)} | ${popplerChars} |`);
      console.log(`\nBasalt extracts at ${fmt((pageTotal / basaltSeconds) / (pageTotal / popplerSeconds!), 2)}× pdftotext's pages/s.`);
    }
    mkdirSync("bench/results", { recursive: true });
    writeFileSync(
      "bench/results/pdf-extract.json",
      JSON.stringify(
        {
          date: new Date().toISOString(),
          cpu,
          node: process.version,
          quick,
          corpus: { files: FILES, pages: pageTotal },
          rounds: ROUNDS,
          basalt: { secondsPerRound: basaltTimes, medianSeconds: basaltSeconds, pagesPerSecond: pageTotal / basaltSeconds, characters: basaltChars },
          pdftotext: anchor
            ? { version: popplerVersion, secondsPerRound: popplerTimes, medianSeconds: popplerSeconds, pagesPerSecond: pageTotal / popplerSeconds!, characters: popplerChars }
            : null,
        },
        null,
        2,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
