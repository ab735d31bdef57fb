// `basalt models import <path>`: copies a local GGUF file into <dataDir>/models, where the
// server picks it up as `local.<stem>`. The copy goes to a `.part` file first and is renamed
// into place, so a half-copied file is never served.
import { copyFile, mkdir, rename, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { localModelId } from "../models/registry.ts";
import { loadCliConfig, type ConfigOptions } from "./config-options.ts";
import { findIdClash, ggufFileName, modelsDir, readGgufHeader } from "./gguf-file.ts";
import { CliError, formatBytes, out, tildify } from "./output.ts";

/** Options of `models import`. */
interface ImportOptions extends ConfigOptions {
  name?: string;
  force?: boolean;
}

async function checkSource(source: string): Promise<number> {
  let size: number;
  try {
    const info = await stat(source);
    if (!info.isFile()) throw new CliError(`${source} is not a file.`, { hint: "pass the path of a .gguf file" });
    size = info.size;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: "check the path; to download a model instead, use `basalt models pull <owner>/<repo>/<file>.gguf`",
    });
  }
  const header = await readGgufHeader(source);
  if (!header.ok) {
    throw new CliError(`${source} is not a GGUF model file: ${header.reason}.`, {
      hint: "Basalt runs GGUF files (llama.cpp's format); convert other formats with llama.cpp's convert_hf_to_gguf.py",
    });
  }
  return size;
}

/** The `models import` command. */
export function modelsImportCommand(): Command {
  return new Command("import")
    .description("copy a local GGUF file into the data directory so the server serves it")
    .argument("<path>", "the .gguf file to import")
    .option("--name <name>", "file name to store it under (default: the file's own name); sets the model id")
    .option("--data-dir <dir>", "data directory (default ~/.basalt)")
    .option("--config <file>", "configuration file, for its dataDir")
    .option("--force", "replace a file of the same name")
    .action(async (path: string, options: ImportOptions) => {
      const config = loadCliConfig(options);
      const source = resolve(path);
      const size = await checkSource(source);
      const dir = modelsDir(config.dataDir);
      const fileName = ggufFileName(options.name ?? source);
      const target = join(dir, fileName);
      const id = localModelId(fileName);
      if (target === source) {
        process.stdout.write(`${tildify(source)} is already in the models folder; it is served as ${out.cyan(id)}.\n`);
        return;
      }

      await mkdir(dir, { recursive: true });
      const exists = await stat(target).then(() => true, () => false);
      if (exists && !options.force) {
        throw new CliError(`${tildify(target)} already exists.`, { hint: "pass --force to replace it, or --name to import under another name" });
      }
      const clash = await findIdClash(dir, fileName);
      if (clash) {
        throw new CliError(`${clash} in ${tildify(dir)} is already served as ${id}.`, {
          hint: "pass --name to import under another name, or remove the other file",
        });
      }

      process.stdout.write(`Importing ${tildify(source)} (${formatBytes(size)})…\n`);
      const part = `${target}.part`;
      try {
        await copyFile(source, part);
        await rename(part, target);
      } catch (error) {
        await rm(part, { force: true });
        throw new CliError(`could not copy into ${tildify(dir)}: ${(error as Error).message}`, {
          hint: "check free disk space and permissions, or pick another --data-dir",
        });
      }
      process.stdout.write(`${out.green("✓")} Saved as ${tildify(target)}\n`);
      process.stdout.write(`  model id: ${out.bold(out.cyan(id))}\n`);
      process.stdout.write(out.dim(`  (re)start \`basalt serve\` to serve it, then try \`basalt chat ${id}\`\n`));
    });
}
