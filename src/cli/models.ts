// `basalt models …`: the group that manages what the server serves.
import { Command } from "commander";
import { modelsImportCommand } from "./models-import.ts";
import { modelsListCommand } from "./models-list.ts";
import { modelsPullCommand } from "./models-pull.ts";

/** The `models` command group: list, pull, import. */
export function modelsCommand(): Command {
  return new Command("models")
    .description("list, download and import models")
    .addCommand(modelsListCommand())
    .addCommand(modelsPullCommand())
    .addCommand(modelsImportCommand());
}
