// `basalt iam enable-model | disable-model`: per-account model access, as on Bedrock's
// model-access page. Settings are stored by the id of the model served, so an alias or ARN
// given here is resolved the way the server resolves it.
import type { Command } from "commander";
import type { Config } from "../config/schema.ts";
import { servedModelConfigs } from "../models/registry.ts";
import { modelIdFromIdentifier } from "../spec/arn.ts";
import { iamSubcommand, withIamSession, type CliIo, type IamOptions } from "./iam-session.ts";

/** The served model id an identifier (id, alias or ARN) names; `known` is false for ids no configuration serves. */
export function canonicalModelId(config: Config, identifier: string): { id: string; known: boolean } {
  const wanted = modelIdFromIdentifier(identifier);
  for (const { model } of servedModelConfigs(config)) {
    if (model.id === identifier || model.id === wanted || model.aliases.includes(identifier) || model.aliases.includes(wanted)) return { id: model.id, known: true };
  }
  return { id: wanted, known: false };
}

function modelAccessCommand(io: CliIo, enabled: boolean): Command {
  const verb = enabled ? "enable" : "disable";
  return iamSubcommand(`${verb}-model`, `${verb} a model for the account (model access)`)
    .requiredOption("--model-id <id>", "model id, alias or ARN")
    .action((options: IamOptions & { modelId: string }) =>
      withIamSession(options, async ({ store, config, accountId }) => {
        const { id, known } = canonicalModelId(config, options.modelId);
        if (!known) io.err(`warning: no model ${id} is configured here; the setting applies once one is.\n`);
        await store.setModelAccess(accountId, id, enabled);
        io.out(`Model access for ${id} is now ${enabled ? "enabled" : "disabled"} in account ${accountId}.\n`);
      }),
    );
}

/** `enable-model`. */
export function enableModelCommand(io: CliIo): Command {
  return modelAccessCommand(io, true);
}

/** `disable-model`: invocations of the model then fail with AccessDeniedException in this account. */
export function disableModelCommand(io: CliIo): Command {
  return modelAccessCommand(io, false);
}
