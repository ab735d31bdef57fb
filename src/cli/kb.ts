// `basalt kb create|sync|query`: knowledge bases from the command line, through a running
// server's Bedrock APIs (bedrock-agent and bedrock-agent-runtime paths), so the CLI exercises
// exactly what SDK users get. `create --folder` maps a local folder to a bucket in the data
// directory (`<dataDir>/buckets/<bucket>` → the folder), which the server reads as a data source.
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readlinkSync, statSync, symlinkSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { ApiClient } from "./api-client.ts";
import { loadCliConfig, parsePositiveInt } from "./config-options.ts";
import { CliError, out } from "./output.ts";
import { createCountProgress } from "./progress.ts";

const ROLE_ARN = "arn:aws:iam::000000000000:role/basalt-knowledge-base";
const FINAL = new Set(["COMPLETE", "FAILED", "STOPPED"]);

interface IngestionJob {
  ingestionJobId: string;
  status: string;
  statistics?: Record<string, number>;
  failureReasons?: string[];
}

/** Parses `--chunking`: default | none | fixed:<maxTokens>:<overlap%> | hierarchical:<parent>:<child>:<overlap> | semantic:<maxTokens>:<buffer>:<percentile>. */
export function parseChunking(spec: string): Record<string, unknown> | undefined {
  const [kind, ...rest] = spec.split(":");
  const numbers = rest.map(Number);
  const need = (n: number) => {
    if (numbers.length !== n || numbers.some((v) => !Number.isFinite(v))) throw new InvalidArgumentError(`'${kind}' takes ${n} numbers, e.g. ${EXAMPLES[kind!]}`);
  };
  switch (kind) {
    case "default":
      return undefined;
    case "none":
      return { chunkingStrategy: "NONE" };
    case "fixed":
      need(2);
      return { chunkingStrategy: "FIXED_SIZE", fixedSizeChunkingConfiguration: { maxTokens: numbers[0], overlapPercentage: numbers[1] } };
    case "hierarchical":
      need(3);
      return {
        chunkingStrategy: "HIERARCHICAL",
        hierarchicalChunkingConfiguration: { levelConfigurations: [{ maxTokens: numbers[0] }, { maxTokens: numbers[1] }], overlapTokens: numbers[2] },
      };
    case "semantic":
      need(3);
      return { chunkingStrategy: "SEMANTIC", semanticChunkingConfiguration: { maxTokens: numbers[0], bufferSize: numbers[1], breakpointPercentileThreshold: numbers[2] } };
    default:
      throw new InvalidArgumentError("expected default, none, fixed:300:20, hierarchical:1500:300:60 or semantic:300:1:95.");
  }
}
const EXAMPLES: Record<string, string> = { fixed: "fixed:300:20", hierarchical: "hierarchical:1500:300:60", semantic: "semantic:300:1:95" };

/** A bucket name for a folder: readable, and unique per absolute path. */
export function folderBucket(folder: string): string {
  const stem = basename(folder).toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "folder";
  return `${stem}-${createHash("sha256").update(folder).digest("hex").slice(0, 8)}`;
}

/** Links `<dataDir>/buckets/<bucket>` to the folder (idempotent); refuses to replace another link. */
function linkFolder(dataDir: string, folder: string): string {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new CliError(`${folder} is not a folder`);
  const bucket = folderBucket(folder);
  const dir = join(dataDir, "buckets");
  mkdirSync(dir, { recursive: true });
  const link = join(dir, bucket);
  if (existsSync(link) || lstatExists(link)) {
    if (!lstatSync(link).isSymbolicLink() || resolve(dir, readlinkSync(link)) !== folder) throw new CliError(`${link} already exists and is not a link to ${folder}`);
  } else symlinkSync(folder, link, "dir");
  return bucket;
}
function lstatExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Starts a sync of one data source and follows it to the end with a progress display. */
async function syncDataSource(api: ApiClient, knowledgeBaseId: string, dataSourceId: string, label: string): Promise<IngestionJob> {
  const base = `/knowledgebases/${knowledgeBaseId}/datasources/${dataSourceId}/ingestionjobs/`;
  let { ingestionJob: job } = await api.call<{ ingestionJob: IngestionJob }>("PUT", base, {});
  const progress = createCountProgress({ label, stream: process.stderr });
  try {
    while (!FINAL.has(job.status)) {
      await new Promise((r) => setTimeout(r, 400));
      ({ ingestionJob: job } = await api.call<{ ingestionJob: IngestionJob }>("GET", base + job.ingestionJobId));
      const s = job.statistics ?? {};
      const done = (s.numberOfDocumentsScanned ?? 0);
      const total = (job as { basaltProgress?: { total?: number } }).basaltProgress?.total ?? done;
      progress.update(done, total, `${(s.numberOfNewDocumentsIndexed ?? 0) + (s.numberOfModifiedDocumentsIndexed ?? 0)} indexed, ${s.numberOfDocumentsFailed ?? 0} failed`);
    }
  } finally {
    progress.stop();
  }
  return job;
}

function printJob(job: IngestionJob): void {
  const s = job.statistics ?? {};
  const colour = job.status === "COMPLETE" ? out.green : out.red;
  process.stdout.write(`${colour(job.status)} (job ${job.ingestionJobId})\n`);
  const rows: Array<[string, number | undefined]> = [
    ["scanned", s.numberOfDocumentsScanned],
    ["new", s.numberOfNewDocumentsIndexed],
    ["modified", s.numberOfModifiedDocumentsIndexed],
    ["metadata modified", s.numberOfMetadataDocumentsModified],
    ["deleted", s.numberOfDocumentsDeleted],
    ["failed", s.numberOfDocumentsFailed],
  ];
  for (const [name, value] of rows) process.stdout.write(`  ${name.padEnd(18)}${value ?? 0}\n`);
  for (const reason of job.failureReasons ?? []) process.stdout.write(`  ${out.red("✗")} ${reason}\n`);
}

function createCommand(): Command {
  return new Command("create")
    .description("create a knowledge base over a local folder or a bucket, with one data source")
    .requiredOption("--name <name>", "knowledge base name (letters, digits, - and _)")
    .option("--folder <dir>", "a local folder of documents (linked into the data directory as a bucket)")
    .option("--bucket <bucket>", "a bucket the server's configuration maps (knowledgeBases.buckets or knowledgeBases.s3)")
    .option("--prefix <prefix>", "only keys under this prefix")
    .option("--embedding-model <id>", "embedding model id", "basalt.use-lite-v1")
    .option("--chunking <spec>", "default | none | fixed:300:20 | hierarchical:1500:300:60 | semantic:300:1:95", parseChunking)
    .option("--ocr", "OCR images and scanned PDF pages")
    .option("--sync", "sync right away, with a progress bar")
    .option("--endpoint <url>", "the server (default BASALT_ENDPOINT or http://127.0.0.1:8787)")
    .option("--config <file>", "configuration file (for the data directory of --folder)")
    .option("--data-dir <dir>", "data directory of the server (for --folder)")
    .action(async (options: {
      name: string; folder?: string; bucket?: string; prefix?: string; embeddingModel: string; chunking?: Record<string, unknown>;
      ocr?: boolean; sync?: boolean; endpoint?: string; config?: string; dataDir?: string;
    }) => {
      if (Boolean(options.folder) === Boolean(options.bucket)) throw new CliError("give exactly one of --folder and --bucket");
      const bucket = options.folder ? linkFolder(loadCliConfig(options).dataDir, resolve(options.folder)) : options.bucket!;
      const api = new ApiClient(options.endpoint);
      const region = process.env.AWS_REGION ?? "us-east-1";
      const { knowledgeBase } = await api.call<{ knowledgeBase: { knowledgeBaseId: string } }>("PUT", "/knowledgebases/", {
        name: options.name,
        roleArn: ROLE_ARN,
        knowledgeBaseConfiguration: {
          type: "VECTOR",
          vectorKnowledgeBaseConfiguration: { embeddingModelArn: `arn:aws:bedrock:${region}::foundation-model/${options.embeddingModel}` },
        },
      });
      const vectorIngestionConfiguration: Record<string, unknown> = {};
      if (options.chunking) vectorIngestionConfiguration.chunkingConfiguration = options.chunking;
      if (options.ocr) vectorIngestionConfiguration.parsingConfiguration = { parsingStrategy: "BEDROCK_DATA_AUTOMATION" };
      const { dataSource } = await api.call<{ dataSource: { dataSourceId: string } }>("PUT", `/knowledgebases/${knowledgeBase.knowledgeBaseId}/datasources/`, {
        name: `${options.name}-source`,
        dataSourceConfiguration: {
          type: "S3",
          s3Configuration: { bucketArn: `arn:aws:s3:::${bucket}`, ...(options.prefix ? { inclusionPrefixes: [options.prefix] } : {}) },
        },
        ...(Object.keys(vectorIngestionConfiguration).length ? { vectorIngestionConfiguration } : {}),
      });
      process.stdout.write(`knowledge base ${out.bold(knowledgeBase.knowledgeBaseId)} with data source ${dataSource.dataSourceId} (bucket ${bucket})\n`);
      if (options.sync) printJob(await syncDataSource(api, knowledgeBase.knowledgeBaseId, dataSource.dataSourceId, "ingesting"));
      else process.stdout.write(`next: basalt kb sync ${knowledgeBase.knowledgeBaseId}\n`);
    });
}

function syncCommand(): Command {
  return new Command("sync")
    .description("sync a knowledge base's data sources: only new, changed and deleted documents are processed")
    .argument("<knowledgeBaseId>")
    .option("--data-source <id>", "only this data source")
    .option("--endpoint <url>", "the server (default BASALT_ENDPOINT or http://127.0.0.1:8787)")
    .action(async (knowledgeBaseId: string, options: { dataSource?: string; endpoint?: string }) => {
      const api = new ApiClient(options.endpoint);
      const ids = options.dataSource
        ? [options.dataSource]
        : (await api.call<{ dataSourceSummaries: Array<{ dataSourceId: string }> }>("POST", `/knowledgebases/${knowledgeBaseId}/datasources/`, {})).dataSourceSummaries.map((d) => d.dataSourceId);
      if (ids.length === 0) throw new CliError(`knowledge base ${knowledgeBaseId} has no data sources`);
      let failed = false;
      for (const id of ids) {
        const job = await syncDataSource(api, knowledgeBaseId, id, `syncing ${id}`);
        printJob(job);
        failed ||= job.status !== "COMPLETE";
      }
      if (failed) process.exitCode = 1;
    });
}

interface RetrievalResult {
  content: { text: string };
  score?: number;
  location?: { s3Location?: { uri?: string }; customDocumentLocation?: { id?: string } };
  metadata?: Record<string, unknown>;
}

function queryCommand(): Command {
  return new Command("query")
    .description("search a knowledge base, or answer from it with citations (--model)")
    .argument("<knowledgeBaseId>")
    .argument("<question...>")
    .option("-k, --results <n>", "results to return", parsePositiveInt, 5)
    .addOption(new Option("--search <type>", "search type").choices(["semantic", "hybrid"]))
    .option("--model <id>", "answer with this text model (RetrieveAndGenerate)")
    .option("--json", "print the raw response")
    .option("--endpoint <url>", "the server (default BASALT_ENDPOINT or http://127.0.0.1:8787)")
    .action(async (knowledgeBaseId: string, words: string[], options: { results: number; search?: string; model?: string; json?: boolean; endpoint?: string }) => {
      const api = new ApiClient(options.endpoint);
      const text = words.join(" ");
      const retrievalConfiguration = {
        vectorSearchConfiguration: { numberOfResults: options.results, ...(options.search ? { overrideSearchType: options.search.toUpperCase() } : {}) },
      };
      const locate = (r: RetrievalResult) => r.location?.s3Location?.uri ?? r.location?.customDocumentLocation?.id ?? "";
      if (!options.model) {
        const response = await api.call<{ retrievalResults: RetrievalResult[] }>("POST", `/knowledgebases/${knowledgeBaseId}/retrieve`, { retrievalQuery: { text }, retrievalConfiguration });
        if (options.json) return void process.stdout.write(`${JSON.stringify(response, null, 2)}\n`);
        response.retrievalResults.forEach((r, i) => {
          const snippet = r.content.text.replace(/\s+/g, " ").slice(0, 240);
          process.stdout.write(`${out.bold(`${i + 1}.`)} ${out.dim(`score ${(r.score ?? 0).toFixed(3)}`)} ${out.cyan(locate(r))}\n   ${snippet}${r.content.text.length > 240 ? "…" : ""}\n`);
        });
        return;
      }
      const region = process.env.AWS_REGION ?? "us-east-1";
      const modelArn = options.model.startsWith("arn:") ? options.model : `arn:aws:bedrock:${region}::foundation-model/${options.model}`;
      const response = await api.call<{ output: { text: string }; citations?: Array<{ retrievedReferences?: RetrievalResult[] }> }>("POST", "/retrieveAndGenerate", {
        input: { text },
        retrieveAndGenerateConfiguration: { type: "KNOWLEDGE_BASE", knowledgeBaseConfiguration: { knowledgeBaseId, modelArn, retrievalConfiguration } },
      });
      if (options.json) return void process.stdout.write(`${JSON.stringify(response, null, 2)}\n`);
      process.stdout.write(`${response.output.text}\n`);
      const sources = [...new Set((response.citations ?? []).flatMap((c) => (c.retrievedReferences ?? []).map(locate)))].filter(Boolean);
      if (sources.length) process.stdout.write(`\n${out.dim("sources:")}\n${sources.map((s, i) => `  [${i + 1}] ${s}`).join("\n")}\n`);
    });
}

/** The `kb` command group. */
export function kbCommand(): Command {
  return new Command("kb")
    .description("knowledge bases: create over a folder or bucket, sync with a progress bar, query")
    .addCommand(createCommand())
    .addCommand(syncCommand())
    .addCommand(queryCommand());
}
