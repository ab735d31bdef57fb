// `basalt models pull <owner>/<repo>/<file>.gguf`: downloads a GGUF file from Hugging Face
// (or a mirror) into <dataDir>/models, resuming an interrupted download, verifying the GGUF
// magic and an optional sha256, and renaming into place only when the file is whole.
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { localModelId } from "../models/registry.ts";
import { loadCliConfig } from "./config-options.ts";
import { findIdClash, ggufFileName, modelsDir, normaliseSha256, readGgufHeader, sha256File } from "./gguf-file.ts";
import { DownloadError, downloadToPart } from "./hf-download.ts";
import { CliError, formatBytes, formatDuration, out, tildify } from "./output.ts";
import { createByteProgress, type ByteProgress } from "./progress.ts";

const DEFAULT_ENDPOINT = "https://huggingface.co";
const EXAMPLE = "ggml-org/models/tinyllamas/stories260K.gguf";

/** Options of `models pull`. */
interface PullOptions {
  dataDir?: string;
  config?: string;
  revision: string;
  sha256?: string;
  endpoint?: string;
  force?: boolean;
}

/** A Hugging Face file reference: `owner/repo/path/in/repo.gguf`. */
interface RepoFile {
  owner: string;
  repo: string;
  file: string;
}

function parseRepoFile(spec: string): RepoFile {
  const parts = spec.replace(/^\/+|\/+$/g, "").split("/").filter(Boolean);
  if (parts.length < 3) {
    throw new CliError(`"${spec}" does not name a file in a repository.`, { exitCode: 2, hint: `write <owner>/<repo>/<file>.gguf, e.g. ${EXAMPLE}` });
  }
  const [owner, repo, ...rest] = parts as [string, string, ...string[]];
  const file = rest.join("/");
  if (!/\.gguf$/i.test(file)) {
    throw new CliError(`${file} is not a .gguf file; Basalt runs GGUF models.`, {
      exitCode: 2,
      hint: "pick a .gguf file from the repo's \"Files\" tab (repos named …-GGUF usually have several quantizations)",
    });
  }
  return { owner, repo, file };
}

function resolveEndpoint(option?: string): string {
  const raw = option ?? process.env.BASALT_HF_ENDPOINT ?? process.env.HF_ENDPOINT ?? DEFAULT_ENDPOINT;
  try {
    return new URL(raw).toString().replace(/\/+$/, "");
  } catch {
    throw new CliError(`the endpoint "${raw}" is not a URL.`, { exitCode: 2, hint: `use a URL such as ${DEFAULT_ENDPOINT}` });
  }
}

function fileUrl(endpoint: string, ref: RepoFile, revision: string): string {
  const path = ref.file.split("/").map(encodeURIComponent).join("/");
  return `${endpoint}/${encodeURIComponent(ref.owner)}/${encodeURIComponent(ref.repo)}/resolve/${encodeURIComponent(revision)}/${path}`;
}

/** Turns a failed download into a message that says what to do next. */
function explain(error: DownloadError, ctx: { ref: RepoFile; revision: string; endpoint: string; part: string }): CliError {
  const { ref, revision, endpoint } = ctx;
  const repo = `${ref.owner}/${ref.repo}`;
  const browse = `see the repo's files at ${endpoint}/${repo}/tree/${revision}`;
  const resume = `the partial download is kept in ${tildify(ctx.part)}; run the same command again to resume`;
  switch (error.kind) {
    case "not-found":
      if (error.details.upstreamCode === "RepoNotFound") return new CliError(`no such repo ${repo} on ${endpoint}.`, { hint: "check the owner and repo name" });
      if (error.details.upstreamCode === "RevisionNotFound") return new CliError(`no revision "${revision}" in repo ${repo}.`, { hint: `see the repo's branches and tags at ${endpoint}/${repo}` });
      return new CliError(`no such file in repo ${repo} at revision ${revision}: ${ref.file}`, { hint: browse });
    case "unauthorized":
      return new CliError(`access to ${repo} was refused (HTTP ${error.details.status}).`, {
        hint: process.env.HF_TOKEN
          ? "HF_TOKEN was sent but not accepted: check that it has read access and that you accepted the model's terms on its page"
          : "the repo may be private, gated or misspelled: accept its terms on the model page and set HF_TOKEN to an access token",
      });
    case "network":
      return new CliError(`cannot download from ${endpoint}: ${error.message}.`, {
        hint:
          "check the network connection (or --endpoint / HF_ENDPOINT for a mirror); " +
          `${resume}. Offline? Fetch the .gguf on another machine and run \`basalt models import <path>\``,
      });
    case "not-gguf":
      return new CliError(`${ref.file} from ${repo}: ${error.message}.`, { hint: "the partial file was deleted; check the file name" });
    case "aborted":
      return new CliError("download interrupted.", { exitCode: 130, hint: resume });
    case "http":
      return new CliError(`download of ${ref.file} from ${repo} failed: ${error.message}.`, { hint: `try again later; ${resume}` });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

async function verify(part: string, sha256: string | undefined): Promise<void> {
  const header = await readGgufHeader(part);
  if (!header.ok) {
    await rm(part, { force: true });
    throw new CliError(`the downloaded file is not a GGUF model: ${header.reason}.`, { hint: "the file was deleted; check the file name" });
  }
  if (!sha256) return;
  process.stdout.write("Verifying sha256…\n");
  const actual = await sha256File(part);
  if (actual !== sha256) {
    await rm(part, { force: true });
    throw new CliError(`sha256 mismatch: expected ${sha256}, got ${actual}.`, {
      hint: "the download was deleted; check the digest on the file's page (it is listed as SHA256) and pull again",
    });
  }
}

async function pull(spec: string, options: PullOptions): Promise<void> {
  const ref = parseRepoFile(spec);
  const sha256 = options.sha256;
  const endpoint = resolveEndpoint(options.endpoint);
  const config = loadCliConfig({ dataDir: options.dataDir, config: options.config });
  const dir = modelsDir(config.dataDir);
  const fileName = ggufFileName(ref.file);
  const target = join(dir, fileName);
  const part = `${target}.part`;
  const id = localModelId(fileName);

  if (await exists(target)) {
    if (!options.force) {
      // Never delete a file the user already had; only report that it differs.
      if (sha256 && (await sha256File(target)) !== sha256) {
        throw new CliError(`${tildify(target)} already exists but its sha256 is not ${sha256}.`, { hint: "pass --force to download it again" });
      }
      process.stdout.write(`${fileName} is already in ${tildify(dir)}; it is served as ${out.cyan(id)}.\n`);
      process.stdout.write(out.dim("  pass --force to download it again\n"));
      return;
    }
    await rm(part, { force: true });
  }
  const clash = await findIdClash(dir, fileName);
  if (clash) throw new CliError(`${clash} in ${tildify(dir)} is already served as ${id}.`, { hint: "remove or rename that file first" });
  await mkdir(dir, { recursive: true });

  const ctx = { ref, revision: options.revision, endpoint, part };
  process.stdout.write(`Pulling ${out.bold(`${ref.owner}/${ref.repo}/${ref.file}`)} (${options.revision}) from ${endpoint}\n`);
  // Ctrl-C stops the transfer but keeps the .part file for the next run.
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once("SIGINT", onSigint);
  let progress: ByteProgress | undefined;
  const started = Date.now();
  let result;
  try {
    result = await downloadToPart({
      url: fileUrl(endpoint, ref, options.revision),
      token: process.env.HF_TOKEN || undefined,
      part,
      signal: controller.signal,
      onStart({ resumedFrom, total }) {
        if (resumedFrom > 0) process.stdout.write(`Resuming from ${formatBytes(resumedFrom)}${total ? ` of ${formatBytes(total)}` : ""}\n`);
        progress = createByteProgress({ label: basename(ref.file), total, start: resumedFrom });
      },
      onProgress: (bytes) => progress?.update(bytes),
    });
  } catch (error) {
    if (error instanceof DownloadError) {
      if (error.kind === "not-gguf") await rm(part, { force: true });
      throw explain(error, ctx);
    }
    throw error;
  } finally {
    progress?.stop();
    process.off("SIGINT", onSigint);
  }
  const seconds = (Date.now() - started) / 1000;
  const fetched = result.bytes - result.resumedFrom;
  process.stdout.write(
    `Downloaded ${formatBytes(fetched)} in ${formatDuration(seconds)}` +
      (seconds > 0 ? ` (${formatBytes(fetched / seconds)}/s)` : "") +
      (result.resumedFrom ? `, resumed after ${formatBytes(result.resumedFrom)}` : "") +
      "\n",
  );
  await verify(part, sha256);
  await rename(part, target);
  process.stdout.write(`${out.green("✓")} Saved as ${tildify(target)} (${formatBytes(result.bytes)})\n`);
  process.stdout.write(`  model id: ${out.bold(out.cyan(id))}\n`);
  process.stdout.write(out.dim(`  (re)start \`basalt serve\` to serve it, then try \`basalt chat ${id}\`\n`));
}

/** The `models pull` command. */
export function modelsPullCommand(): Command {
  return new Command("pull")
    .description("download a GGUF model from Hugging Face into the data directory")
    .argument("<repo/file>", `<owner>/<repo>/<file>.gguf, e.g. ${EXAMPLE}`)
    .option("--revision <rev>", "branch, tag or commit", "main")
    .option("--sha256 <hex>", "expected sha256 of the file; the download is deleted on a mismatch", (value: string) => {
      try {
        return normaliseSha256(value);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
    })
    .option("--endpoint <url>", `Hugging Face endpoint or mirror (env BASALT_HF_ENDPOINT or HF_ENDPOINT; default ${DEFAULT_ENDPOINT})`)
    .option("--data-dir <dir>", "data directory (default ~/.basalt)")
    .option("--config <file>", "configuration file, for its dataDir")
    .option("--force", "download again even if the file is already there")
    .addHelpText("after", "\nA token in the HF_TOKEN environment variable is sent for private or gated repos (never printed).")
    .action(pull);
}
