// `basalt iam create-account | create-user | create-role | list-users`.
import type { Command } from "commander";
import { Option } from "commander";
import type { PrincipalType } from "../iam/ids.ts";
import { iamSubcommand, withIamSession, type CliIo, type IamOptions } from "./iam-session.ts";
import { renderTable } from "./output.ts";

/** `create-account`: a new tenant with its own users, policies and model access. */
export function createAccountCommand(io: CliIo): Command {
  return iamSubcommand("create-account", "create an account (tenant); prints its 12-digit id")
    .requiredOption("--name <name>", "a name for people to recognise it by")
    .addOption(new Option("--model-access <default>", "model access of the new account (default: modelAccess.default from the configuration)").choices(["enabled", "disabled"]))
    .option("--json", "print JSON")
    .action((options: IamOptions & { name: string; modelAccess?: "enabled" | "disabled" }) =>
      withIamSession(options, async ({ store, config }) => {
        const account = await store.createAccount({ name: options.name, defaultModelAccess: options.modelAccess ?? config.modelAccess.default });
        if (options.json) return io.out(`${JSON.stringify({ Account: { Id: account.id, Name: account.name, DefaultModelAccess: account.defaultModelAccess } })}\n`);
        io.out(`Created account ${account.id} (${account.name}); models are ${account.defaultModelAccess} by default.\n`);
        io.out(`Next: basalt iam create-user --account ${account.id} --user-name <name>\n`);
      }),
    );
}

function createPrincipalCommand(io: CliIo, type: PrincipalType): Command {
  const flag = type === "user" ? "--user-name" : "--role-name";
  return iamSubcommand(`create-${type}`, `create a ${type} in the account`)
    .requiredOption(`${flag} <name>`, `name of the ${type} (letters, digits and +=,.@_-)`)
    .option("--json", "print JSON")
    .action((options: IamOptions & { userName?: string; roleName?: string }) =>
      withIamSession(options, async (session) => {
        const name = (type === "user" ? options.userName : options.roleName)!;
        const created = await session.store.createPrincipal(session.accountId, type, name);
        const key = type === "user" ? "User" : "Role";
        if (options.json) return io.out(`${JSON.stringify({ [key]: { [`${key}Name`]: created.name, [`${key}Id`]: created.id, Arn: created.arn } })}\n`);
        io.out(`Created ${type} ${created.name}: ${created.arn}\n`);
        const account = session.accountId === options.account ? ` --account ${session.accountId}` : "";
        io.out(`Next: basalt iam create-access-key${account} ${flag} ${created.name}\n`);
      }),
    );
}

/** `create-user`. */
export function createUserCommand(io: CliIo): Command {
  return createPrincipalCommand(io, "user");
}

/** `create-role`: a principal that holds keys and policies like a user (Basalt issues no session credentials). */
export function createRoleCommand(io: CliIo): Command {
  return createPrincipalCommand(io, "role");
}

/** `list-users`: users with their key ids and policies; never a secret. */
export function listUsersCommand(io: CliIo): Command {
  return iamSubcommand("list-users", "list the account's users and roles with their keys and policies (never secrets)")
    .option("--json", "print JSON")
    .action((options: IamOptions) =>
      withIamSession(options, async ({ store, accountId }) => {
        const principals = [...(await store.listPrincipals(accountId, "user")), ...(await store.listPrincipals(accountId, "role"))];
        const rows = [];
        for (const principal of principals) {
          const [accessKeys, apiKeys, policies] = await Promise.all([store.listAccessKeys(principal), store.listApiKeys(principal), store.policiesOf(principal)]);
          rows.push({ principal, accessKeys: accessKeys.map((k) => k.id), apiKeys: apiKeys.map((k) => k.id), policies: policies.map((p) => p.name) });
        }
        if (options.json) {
          const users = rows.map((r) => ({ Type: r.principal.type, Name: r.principal.name, Id: r.principal.id, Arn: r.principal.arn, AccessKeyIds: r.accessKeys, ApiKeyIds: r.apiKeys, Policies: r.policies }));
          return io.out(`${JSON.stringify({ Users: users })}\n`);
        }
        if (rows.length === 0) return io.out(`No users or roles in account ${accountId} yet: basalt iam create-user --user-name <name>\n`);
        const list = (items: string[]) => (items.length ? items.join(", ") : "-");
        io.out(
          renderTable(
            ["NAME", "TYPE", "ARN", "ACCESS KEYS", "API KEYS", "POLICIES"],
            rows.map((r) => [r.principal.name, r.principal.type, r.principal.arn, list(r.accessKeys), list(r.apiKeys), list(r.policies)]),
          ),
        );
      }),
    );
}
