// `basalt iam …`: identities, credentials, policies and model access, managed directly in the
// data directory's database (no server needed; a running server sees changes within a second).
import { Command } from "commander";
import { createAccessKeyCommand, createApiKeyCommand } from "./iam-credentials.ts";
import { createAccountCommand, createRoleCommand, createUserCommand, listUsersCommand } from "./iam-identities.ts";
import { deleteAccessKeyCommand, deleteApiKeyCommand, deleteRoleCommand, deleteUserCommand, listAccessKeysCommand, updateAccessKeyCommand, updateApiKeyCommand } from "./iam-lifecycle.ts";
import { disableModelCommand, enableModelCommand } from "./iam-models.ts";
import { attachPolicyCommand, putPolicyCommand, simulateCommand } from "./iam-policies.ts";
import { PROCESS_IO, type CliIo } from "./iam-session.ts";

/** The `iam` command group; `io` receives everything it prints. */
export function iamCommand(io: CliIo = PROCESS_IO): Command {
  return new Command("iam")
    .description("accounts, users, roles, keys, policies and model access")
    .addHelpText(
      "after",
      "\nSecure a server in three steps:\n" +
        "  basalt iam create-user --user-name admin\n" +
        "  basalt iam put-policy --policy-name everything --policy-document '{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"bedrock:*\",\"Resource\":\"*\"}]}'\n" +
        "  basalt iam attach-policy --policy-name everything --user-name admin && basalt iam create-access-key --user-name admin\n",
    )
    .addCommand(createAccountCommand(io))
    .addCommand(createUserCommand(io))
    .addCommand(createRoleCommand(io))
    .addCommand(createAccessKeyCommand(io))
    .addCommand(createApiKeyCommand(io))
    .addCommand(putPolicyCommand(io))
    .addCommand(attachPolicyCommand(io))
    .addCommand(listUsersCommand(io))
    .addCommand(listAccessKeysCommand(io))
    .addCommand(updateAccessKeyCommand(io))
    .addCommand(deleteAccessKeyCommand(io))
    .addCommand(updateApiKeyCommand(io))
    .addCommand(deleteApiKeyCommand(io))
    .addCommand(deleteUserCommand(io))
    .addCommand(deleteRoleCommand(io))
    .addCommand(simulateCommand(io))
    .addCommand(enableModelCommand(io))
    .addCommand(disableModelCommand(io));
}

/**
 * Runs one `basalt iam` command in process (`argv` without `iam`), printing to `io`. Usage
 * errors throw instead of exiting, so callers such as tests see them.
 */
export async function runIam(argv: string[], io: CliIo): Promise<void> {
  const command = iamCommand(io);
  const quiet = { writeOut: io.out, writeErr: io.err };
  for (const sub of [command, ...command.commands]) sub.exitOverride().configureOutput(quiet);
  await command.parseAsync(argv, { from: "user" });
}
