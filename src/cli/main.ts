// The `basalt` command line: one file per command, wired here. Every command reports
// failures by throwing CliError; this file prints them uniformly and sets the exit code.
import { Command } from "commander";
import { chatCommand } from "./chat.ts";
import { iamCommand } from "./iam.ts";
import { kbCommand } from "./kb.ts";
import { keysCommand } from "./keys.ts";
import { modelsCommand } from "./models.ts";
import { CliError, printError } from "./output.ts";
import { serveCommand } from "./serve.ts";
import { usageCommand } from "./usage.ts";

/** Runs the CLI with the given arguments (without `node` and the script). */
export async function main(argv: string[]): Promise<void> {
  const program = new Command("basalt")
    .description("Self-hosted, Bedrock-compatible model platform")
    .showHelpAfterError()
    .addHelpText(
      "after",
      "\nGet started:\n" +
        "  basalt models pull ggml-org/models/tinyllamas/stories260K.gguf\n" +
        "  basalt serve\n" +
        "  basalt chat local.stories260k\n",
    );
  program.addCommand(serveCommand());
  program.addCommand(modelsCommand());
  program.addCommand(chatCommand());
  program.addCommand(iamCommand());
  program.addCommand(kbCommand());
  program.addCommand(keysCommand());
  program.addCommand(usageCommand());
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CliError) {
      printError(error);
      process.exitCode = error.exitCode;
      return;
    }
    printError(error instanceof Error ? error : new Error(String(error)));
    if (process.env.BASALT_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    else process.stderr.write("(set BASALT_DEBUG=1 for the stack trace, and please report this as a bug)\n");
    process.exitCode = 1;
  }
}
