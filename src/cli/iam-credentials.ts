// `basalt iam create-access-key | create-api-key`: the secret is printed here, once. The store
// keeps an access key's secret only encrypted and an API key only as a hash, so no command can
// show either again.
import { Command, InvalidArgumentError } from "commander";
import { parsePositiveInt } from "./config-options.ts";
import { iamSubcommand, namedPrincipal, withIamSession, withPrincipalOptions, type CliIo, type PrincipalOptions } from "./iam-session.ts";

const once = (what: string) => `${what} is shown only now: Basalt keeps no copy it could show again, so store it safely.`;

function owner(type: "user" | "role", name: string): Record<string, string> {
  return type === "user" ? { UserName: name } : { RoleName: name };
}

/** `create-access-key`: an access key pair for SigV4 (the AWS SDKs' default). */
export function createAccessKeyCommand(io: CliIo): Command {
  return withPrincipalOptions(iamSubcommand("create-access-key", "create an access key pair for a user or role; prints the secret once"))
    .option("--json", "print JSON (the AWS CLI's CreateAccessKey shape)")
    .action((options: PrincipalOptions) =>
      withIamSession(options, async (session) => {
        const principal = await namedPrincipal(session, options);
        const pair = await session.store.createAccessKey(principal);
        if (options.json) {
          const key = { ...owner(principal.type, principal.name), AccessKeyId: pair.accessKeyId, Status: "Active", SecretAccessKey: pair.secretAccessKey, CreateDate: new Date().toISOString() };
          return io.out(`${JSON.stringify({ AccessKey: key })}\n`);
        }
        io.out(`Created access key ${pair.accessKeyId} for ${principal.type} ${principal.name} (account ${principal.accountId}).\n`);
        io.out(`${once("The secret access key")}\n\n`);
        io.out(`  AWS_ACCESS_KEY_ID=${pair.accessKeyId}\n  AWS_SECRET_ACCESS_KEY=${pair.secretAccessKey}\n\n`);
      }),
    );
}

function parseDays(value: string): number {
  try {
    return parsePositiveInt(value);
  } catch {
    throw new InvalidArgumentError("expected a number of days, such as 90.");
  }
}

/** `create-api-key`: a bearer key (`Authorization: Bearer …`) for the runtime and OpenAI routes. */
export function createApiKeyCommand(io: CliIo): Command {
  return withPrincipalOptions(iamSubcommand("create-api-key", "create a bearer API key for a user or role; prints the key once"))
    .option("--expires-in-days <days>", "refuse the key after this many days (default: never expires)", parseDays)
    .option("--json", "print JSON")
    .action((options: PrincipalOptions & { expiresInDays?: number }) =>
      withIamSession(options, async (session) => {
        const principal = await namedPrincipal(session, options);
        const expiresAt = options.expiresInDays === undefined ? undefined : Date.now() + options.expiresInDays * 86_400_000;
        const issued = await session.store.createApiKey(principal, { expiresAt });
        const expires = expiresAt === undefined ? undefined : new Date(expiresAt).toISOString();
        if (options.json) {
          return io.out(`${JSON.stringify({ ApiKey: { ...owner(principal.type, principal.name), ApiKeyId: issued.id, ApiKey: issued.key, ...(expires ? { ExpiresAt: expires } : {}) } })}\n`);
        }
        io.out(`Created API key ${issued.id} for ${principal.type} ${principal.name} (account ${principal.accountId})${expires ? `, valid until ${expires}` : ""}.\n`);
        io.out(`${once("The key")}\n\n`);
        // AWS_BEARER_TOKEN_BEDROCK is the variable the AWS SDKs read a Bedrock bearer token from.
        io.out(`  AWS_BEARER_TOKEN_BEDROCK=${issued.key}\n\n`);
        io.out("Send it as 'Authorization: Bearer <key>' (OpenAI clients: the api key option).\n");
      }),
    );
}
