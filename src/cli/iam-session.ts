// What every `basalt iam` command shares: the options that locate the data directory and the
// account, opening the metadata database and encryption directly (no server needed), and
// where output goes (stdout/stderr, or a buffer when tests run the commands in process).
import { mkdirSync } from "node:fs";
import { Command, Option } from "commander";
import type { Config } from "../config/schema.ts";
import type { PrincipalType } from "../iam/ids.ts";
import { IamStore } from "../iam/store/iam-store.ts";
import type { PrincipalRecord } from "../iam/store/records.ts";
import { BasaltError } from "../spec/errors.ts";
import { DEFAULT_ACCOUNT_ID } from "../spec/principal.ts";
import { openEncryption } from "../store/crypto/open-encryption.ts";
import { migrate } from "../store/db/migrate.ts";
import { databaseOptionsFromConfig, openDatabase } from "../store/db/open-database.ts";
import { loadCliConfig } from "./config-options.ts";
import { CliError } from "./output.ts";

/** Where a command's output goes. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** The process's stdout and stderr. */
export const PROCESS_IO: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

/** Options every iam command accepts. */
export interface IamOptions {
  config?: string;
  dataDir?: string;
  account?: string;
  json?: boolean;
}

/** Options of commands that act on one user or role. */
export interface PrincipalOptions extends IamOptions {
  userName?: string;
  roleName?: string;
}

/** An open IAM store for one command. */
export interface IamSession {
  store: IamStore;
  config: Config;
  /** The account the command acts in (`--account`, else the default account). */
  accountId: string;
}

/** A subcommand with the shared options. */
export function iamSubcommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .option("--account <id>", `account to act in (default: the default account ${DEFAULT_ACCOUNT_ID})`)
    .option("--config <file>", "configuration file (YAML or JSON; env BASALT_CONFIG)")
    .option("--data-dir <dir>", "data directory (default ~/.basalt)");
}

/** Adds `--user-name` / `--role-name`, exactly one of which a command then needs. */
export function withPrincipalOptions(command: Command): Command {
  return command
    .addOption(new Option("--user-name <name>", "the user").conflicts("roleName"))
    .addOption(new Option("--role-name <name>", "the role").conflicts("userName"));
}

/** The one principal named by `--user-name` or `--role-name`. */
export function principalName(options: PrincipalOptions): { type: PrincipalType; name: string } {
  if (options.userName) return { type: "user", name: options.userName };
  if (options.roleName) return { type: "role", name: options.roleName };
  throw new CliError("name the principal with --user-name <name> or --role-name <name>.", { exitCode: 2 });
}

/** Looks up the principal the options name, in the session's account. */
export function namedPrincipal(session: IamSession, options: PrincipalOptions): Promise<PrincipalRecord> {
  const { type, name } = principalName(options);
  return session.store.getPrincipal(session.accountId, type, name);
}

/** Opens the data directory's database and encryption, runs `fn`, and closes them again. */
export async function withIamSession<T>(options: IamOptions, fn: (session: IamSession) => Promise<T>): Promise<T> {
  const config = loadCliConfig({ config: options.config, dataDir: options.dataDir });
  mkdirSync(config.dataDir, { recursive: true });
  const db = openDatabase(databaseOptionsFromConfig(config));
  try {
    // On PostgreSQL the wrapped data keys are shared through the database (docs/decisions/0020).
    const encryption = await openEncryption({ dataDir: config.dataDir, keyProvider: config.encryption.keyProvider, db });
    try {
      await migrate(db);
      const store = new IamStore({ db, encryption });
      const accountId = options.account ?? DEFAULT_ACCOUNT_ID;
      // The default account exists implicitly; it is written down the first time it is acted on.
      if (accountId === DEFAULT_ACCOUNT_ID) await store.createAccount({ id: DEFAULT_ACCOUNT_ID, name: "default", defaultModelAccess: config.modelAccess.default });
      return await fn({ store, config, accountId });
    } finally {
      encryption.close();
    }
  } catch (error) {
    throw asCliError(error, options);
  } finally {
    await db.close();
  }
}

function asCliError(error: unknown, options: IamOptions): unknown {
  if (!(error instanceof BasaltError)) return error;
  const account = options.account ? ` --account ${options.account}` : "";
  const hints: Partial<Record<BasaltError["code"], string>> = {
    NOT_FOUND: `check the name and account; basalt iam list-users${account} lists what exists`,
    CONFLICT: "pick another name, or use the existing one",
    VALIDATION: "fix the value above and run the command again",
    KEY_UNAVAILABLE: "the encryption key of the data directory is unavailable; enable it or restore master.key",
  };
  return new CliError(error.message, { hint: hints[error.code], exitCode: error.code === "VALIDATION" ? 2 : 1, cause: error });
}
