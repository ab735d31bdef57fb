// The `basalt` command line: one file per command, wired here.
import { Command } from "commander";
import { serveCommand } from "./serve.ts";

/** Runs the CLI with the given arguments (without `node` and the script). */
export async function main(argv: string[]): Promise<void> {
  const program = new Command("basalt").description("Self-hosted, Bedrock-compatible model platform").showHelpAfterError();
  program.addCommand(serveCommand());
  await program.parseAsync(argv, { from: "user" });
}
