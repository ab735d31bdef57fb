// `basalt iam put-policy | attach-policy | simulate`.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { simulatePrincipal } from "../iam/simulate-principal.ts";
import { foundationModelArn } from "../spec/arn.ts";
import { canonicalModelId } from "./iam-models.ts";
import { iamSubcommand, namedPrincipal, withIamSession, withPrincipalOptions, type CliIo, type IamOptions, type PrincipalOptions } from "./iam-session.ts";
import { CliError } from "./output.ts";

/** A document given inline or as `file://path` (the AWS CLI's convention). */
function readDocument(value: string): string {
  if (!value.startsWith("file://")) return value;
  const path = value.slice("file://".length);
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new CliError(`cannot read the policy document ${path}: ${(error as Error).message}`, { exitCode: 2 });
  }
}

/** `put-policy`: validates and stores a named policy document (replacing one of that name). */
export function putPolicyCommand(io: CliIo): Command {
  return iamSubcommand("put-policy", "create or replace a named policy document in the account")
    .requiredOption("--policy-name <name>", "name of the policy")
    .requiredOption("--policy-document <json>", "the document: JSON text, or file://path")
    .action((options: IamOptions & { policyName: string; policyDocument: string }) =>
      withIamSession(options, async ({ store, accountId }) => {
        const { policy, warnings } = await store.putPolicy(accountId, options.policyName, readDocument(options.policyDocument));
        for (const warning of warnings) io.err(`warning: ${warning}\n`);
        io.out(`Stored policy ${policy.name} (version ${policy.version}): ${policy.arn}\n`);
        if (policy.version === 1) io.out(`Next: basalt iam attach-policy --policy-name ${policy.name} --user-name <name>\n`);
      }),
    );
}

/** `attach-policy`: gives a user or role the account's policy. */
export function attachPolicyCommand(io: CliIo): Command {
  return withPrincipalOptions(iamSubcommand("attach-policy", "attach a named policy to a user or role"))
    .requiredOption("--policy-name <name>", "name of the policy (see put-policy)")
    .action((options: PrincipalOptions & { policyName: string }) =>
      withIamSession(options, async (session) => {
        const principal = await namedPrincipal(session, options);
        const policy = await session.store.attachPolicy(principal, options.policyName);
        io.out(`Attached policy ${policy.name} to ${principal.type} ${principal.name}.\n`);
      }),
    );
}

function parseContext(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf("=");
  if (at <= 0) throw new CliError(`--context expects key=value, got '${value}'.`, { exitCode: 2 });
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** `simulate`: the decision for one request and the statement that made it. */
export function simulateCommand(io: CliIo): Command {
  return withPrincipalOptions(iamSubcommand("simulate", "may a user or role do an action on a resource, and which statement decides?"))
    .requiredOption("--action <action>", "IAM action, e.g. bedrock:InvokeModel")
    .option("--resource <arn>", "resource ARN (default *)")
    .option("--model-id <id>", "shorthand for the foundation-model ARN of this model (id or alias)")
    .option("--context <key=value>", "a condition key for the request (repeatable)", parseContext)
    .option("--json", "print JSON")
    .action((options: PrincipalOptions & { action: string; resource?: string; modelId?: string; context?: Record<string, string> }) =>
      withIamSession(options, async (session) => {
        if (options.resource && options.modelId) throw new CliError("give --resource or --model-id, not both.", { exitCode: 2 });
        const principal = await namedPrincipal(session, options);
        const resource = options.modelId ? foundationModelArn(session.config.region, canonicalModelId(session.config, options.modelId).id) : (options.resource ?? "*");
        const result = await simulatePrincipal({
          store: session.store,
          principal,
          action: options.action,
          resource,
          region: session.config.region,
          modelAccessDefault: session.config.modelAccess.default,
          context: options.context,
        });
        if (options.json) return io.out(`${JSON.stringify({ action: options.action, resource, ...result })}\n`);
        io.out(`${principal.type} ${principal.name} → ${options.action} on ${resource}\n`);
        io.out(`Decision: ${result.decision}\n`);
        const m = result.matchedStatement;
        if (m) {
          io.out(`Deciding statement: policy ${m.policyName}, Statement[${m.index}]${m.sid ? ` (Sid ${m.sid})` : ""}, Effect ${m.effect}\n`);
          if (result.statement !== undefined) io.out(`  ${JSON.stringify(result.statement)}\n`);
        } else {
          io.out("Deciding statement: none: no statement allows this request, so it is denied by default.\n");
        }
        if (result.otherAccount) io.out(`Account boundary: the resource belongs to account ${result.otherAccount}; no policy of account ${principal.accountId} can grant it.\n`);
        if (result.modelAccess && !result.modelAccess.enabled) {
          io.out(`Model access: ${result.modelAccess.modelId} is disabled in account ${principal.accountId} (basalt iam enable-model --model-id ${result.modelAccess.modelId}).\n`);
        }
        io.out(`A real request would be ${result.allowed ? "allowed" : "denied (AccessDeniedException)"}.\n`);
      }),
    );
}
