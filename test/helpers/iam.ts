// Runs `basalt iam …` commands in process against a data directory, capturing what they print,
// and builds the AWS SDK clients a user with real keys would use.
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { runIam } from "../../src/cli/iam.ts";

/** What one command printed. */
export interface IamOutput {
  out: string;
  err: string;
}

/** Runs one `basalt iam` command (arguments after `iam`) on `dataDir`. */
export async function iam(dataDir: string, ...args: string[]): Promise<IamOutput> {
  const printed: IamOutput = { out: "", err: "" };
  await runIam([...args, "--data-dir", dataDir], { out: (t) => void (printed.out += t), err: (t) => void (printed.err += t) });
  return printed;
}

/** A user's credentials as the CLI printed them. */
export interface UserKeys {
  accessKeyId: string;
  secretAccessKey: string;
  apiKey: string;
}

/** Creates a user with an access key and an API key, and attaches `policy` (a document) under `policyName`. */
export async function createUser(dataDir: string, options: { user: string; account?: string; policyName?: string; policy?: unknown }): Promise<UserKeys> {
  const account = options.account ? ["--account", options.account] : [];
  await iam(dataDir, "create-user", "--user-name", options.user, ...account);
  if (options.policy !== undefined) {
    const name = options.policyName ?? `${options.user}-policy`;
    await iam(dataDir, "put-policy", "--policy-name", name, "--policy-document", JSON.stringify(options.policy), ...account);
    await iam(dataDir, "attach-policy", "--policy-name", name, "--user-name", options.user, ...account);
  }
  const access = JSON.parse((await iam(dataDir, "create-access-key", "--user-name", options.user, "--json", ...account)).out).AccessKey;
  const api = JSON.parse((await iam(dataDir, "create-api-key", "--user-name", options.user, "--json", ...account)).out).ApiKey;
  return { accessKeyId: access.AccessKeyId, secretAccessKey: access.SecretAccessKey, apiKey: api.ApiKey };
}

/** A policy document allowing `actions` on `resources`, optionally with Deny statements. */
export function policy(statements: Array<{ Sid?: string; Effect: "Allow" | "Deny"; Action: string | string[]; Resource: string | string[] }>): unknown {
  return { Version: "2012-10-17", Statement: statements };
}

/** A runtime client signing with the user's access key (SigV4 over h2c). */
export function sigv4Runtime(endpoint: string, keys: Pick<UserKeys, "accessKeyId" | "secretAccessKey">): BedrockRuntimeClient {
  return new BedrockRuntimeClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: keys.accessKeyId, secretAccessKey: keys.secretAccessKey }, maxAttempts: 1 });
}

/** A runtime client sending the user's API key as `Authorization: Bearer`. */
export function bearerRuntime(endpoint: string, apiKey: string): BedrockRuntimeClient {
  return new BedrockRuntimeClient({ endpoint, region: "us-east-1", token: { token: apiKey }, authSchemePreference: ["httpBearerAuth"], maxAttempts: 1 });
}

/** The foundation-model ARN policies name for a model served here. */
export function modelArn(modelId: string): string {
  return `arn:aws:bedrock:us-east-1::foundation-model/${modelId}`;
}
