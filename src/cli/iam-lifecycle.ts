// Credential and identity lifecycle: `basalt iam list-access-keys | update-access-key |
// delete-access-key | update-api-key | delete-api-key | delete-user | delete-role`. Deactivating
// a key is the reversible first step of a rotation (as with IAM's UpdateAccessKey): a running
// server refuses it within a second.
import { Command, Option } from "commander";
import { iamSubcommand, namedPrincipal, withIamSession, withPrincipalOptions, type CliIo, type PrincipalOptions } from "./iam-session.ts";

type Status = "Active" | "Inactive";
const statusOption = () => new Option("--status <status>", "Active or Inactive").choices(["Active", "Inactive"]).makeOptionMandatory();

/** `list-access-keys`: a principal's access keys and API keys, without secrets. */
export function listAccessKeysCommand(io: CliIo): Command {
  return withPrincipalOptions(iamSubcommand("list-access-keys", "list a user's or role's access keys and API keys (never their secrets)"))
    .option("--json", "print JSON")
    .action((options: PrincipalOptions) =>
      withIamSession(options, async (session) => {
        const principal = await namedPrincipal(session, options);
        const keys = await session.store.listAccessKeys(principal);
        const apiKeys = await session.store.listApiKeys(principal);
        if (options.json) {
          const at = (time: Date | number) => new Date(time).toISOString();
          return io.out(
            `${JSON.stringify({
              AccessKeyMetadata: keys.map((k) => ({ AccessKeyId: k.id, Status: k.status, CreateDate: at(k.createdAt) })),
              ApiKeys: apiKeys.map((k) => ({ ApiKeyId: k.id, Status: k.status, CreateDate: at(k.createdAt), ...(k.expiresAt ? { ExpiresAt: at(k.expiresAt) } : {}) })),
            })}\n`,
          );
        }
        for (const k of keys) io.out(`access key  ${k.id}  ${k.status}  created ${k.createdAt.toISOString()}\n`);
        for (const k of apiKeys) io.out(`API key     ${k.id}  ${k.status}  created ${k.createdAt.toISOString()}${k.expiresAt ? `  expires ${new Date(k.expiresAt).toISOString()}` : ""}\n`);
        if (keys.length + apiKeys.length === 0) io.out(`${principal.type} ${principal.name} has no credentials.\n`);
      }),
    );
}

/** `update-access-key`: activates or deactivates an access key. */
export function updateAccessKeyCommand(io: CliIo): Command {
  return iamSubcommand("update-access-key", "activate or deactivate an access key (deactivated keys are refused)")
    .requiredOption("--access-key-id <id>", "the key")
    .addOption(statusOption())
    .action((options: PrincipalOptions & { accessKeyId: string; status: Status }) =>
      withIamSession(options, async (session) => {
        await session.store.setAccessKeyStatus(session.accountId, options.accessKeyId, options.status);
        io.out(`Access key ${options.accessKeyId} is now ${options.status}.\n`);
      }),
    );
}

/** `delete-access-key`. */
export function deleteAccessKeyCommand(io: CliIo): Command {
  return iamSubcommand("delete-access-key", "delete an access key for good")
    .requiredOption("--access-key-id <id>", "the key")
    .action((options: PrincipalOptions & { accessKeyId: string }) =>
      withIamSession(options, async (session) => {
        await session.store.deleteAccessKey(session.accountId, options.accessKeyId);
        io.out(`Deleted access key ${options.accessKeyId}.\n`);
      }),
    );
}

/** `update-api-key`: activates or deactivates a bearer API key. */
export function updateApiKeyCommand(io: CliIo): Command {
  return iamSubcommand("update-api-key", "activate or deactivate an API key")
    .requiredOption("--api-key-id <id>", "the key's id (the part after basalt_, as list-access-keys shows)")
    .addOption(statusOption())
    .action((options: PrincipalOptions & { apiKeyId: string; status: Status }) =>
      withIamSession(options, async (session) => {
        await session.store.setApiKeyStatus(session.accountId, options.apiKeyId, options.status);
        io.out(`API key ${options.apiKeyId} is now ${options.status}.\n`);
      }),
    );
}

/** `delete-api-key`. */
export function deleteApiKeyCommand(io: CliIo): Command {
  return iamSubcommand("delete-api-key", "delete an API key for good")
    .requiredOption("--api-key-id <id>", "the key's id")
    .action((options: PrincipalOptions & { apiKeyId: string }) =>
      withIamSession(options, async (session) => {
        await session.store.deleteApiKey(session.accountId, options.apiKeyId);
        io.out(`Deleted API key ${options.apiKeyId}.\n`);
      }),
    );
}

function deletePrincipalCommand(io: CliIo, type: "user" | "role"): Command {
  return iamSubcommand(`delete-${type}`, `delete a ${type}; refused while it has credentials or policies unless --force`)
    .requiredOption(`--${type}-name <name>`, `the ${type}`)
    .option("--force", "delete its credentials and policy attachments with it")
    .action((options: PrincipalOptions & { force?: boolean }) =>
      withIamSession(options, async (session) => {
        const principal = await namedPrincipal(session, options);
        const removed = await session.store.deletePrincipal(principal, { force: options.force });
        io.out(`Deleted ${type} ${principal.name}${removed.credentials + removed.policies ? ` with ${removed.credentials} credential(s) and ${removed.policies} policy attachment(s)` : ""}.\n`);
      }),
    );
}

/** `delete-user`. */
export const deleteUserCommand = (io: CliIo) => deletePrincipalCommand(io, "user");
/** `delete-role`. */
export const deleteRoleCommand = (io: CliIo) => deletePrincipalCommand(io, "role");
