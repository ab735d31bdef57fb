// `basalt keys …`: the master keys that wrap every account's data keys, wherever the configuration
// keeps them (`encryption.keyProvider`: the data directory's key file, or a PKCS#11 token; see
// docs/decisions/0011-encryption-at-rest.md and 0026-pkcs11-key-provider.md). Rotation gives the
// primary master key a new version and re-wraps every data key (content is never re-encrypted);
// disabling a key makes everything under it unreadable (the API fails closed) until it is enabled
// again; deletion is scheduled with a waiting period, as in KMS, and can be cancelled until then.
import { mkdirSync } from "node:fs";
import { Command } from "commander";
import { BasaltError } from "../spec/errors.ts";
import { DEFAULT_ACCOUNT_ID } from "../spec/principal.ts";
import type { EnvelopeEncryption } from "../store/crypto/envelope-encryption.ts";
import type { KeyAdmin } from "../store/crypto/key-admin.ts";
import { openEncryption, openKeyProvider } from "../store/crypto/open-encryption.ts";
import { migrate } from "../store/db/migrate.ts";
import { databaseOptionsFromConfig, openDatabase } from "../store/db/open-database.ts";
import { loadCliConfig, parsePositiveInt } from "./config-options.ts";
import { CliError, out, renderTable } from "./output.ts";

interface KeysOptions {
  config?: string;
  dataDir?: string;
}

/**
 * Opens the configured master keys and the wrapped data keys (in the metadata database on
 * PostgreSQL, as the server keeps them), runs `fn`, and closes them.
 */
async function withKeys<T>(options: KeysOptions, fn: (keys: KeyAdmin, encryption: EnvelopeEncryption) => Promise<T>): Promise<T> {
  const config = loadCliConfig(options);
  mkdirSync(config.dataDir, { recursive: true });
  const db = openDatabase(databaseOptionsFromConfig(config));
  try {
    await migrate(db);
    const opened = await openKeyProvider({ dataDir: config.dataDir, keyProvider: config.encryption.keyProvider });
    try {
      const encryption = await openEncryption({ dataDir: config.dataDir, db, keys: opened.keys });
      try {
        return await fn(opened.keys, encryption);
      } finally {
        encryption.close();
      }
    } finally {
      opened.close();
    }
  } catch (error) {
    if (error instanceof BasaltError) throw new CliError(error.message, { exitCode: error.code === "NOT_FOUND" || error.code === "VALIDATION" ? 2 : 1 });
    throw error;
  } finally {
    await db.close();
  }
}

function keysSubcommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .option("--config <file>", "configuration file (YAML or JSON; env BASALT_CONFIG)")
    .option("--data-dir <dir>", "data directory (default ~/.basalt)");
}

/** The `keys` command group. */
export function keysCommand(): Command {
  return new Command("keys")
    .description("master keys of encryption at rest: list, rotate, disable, enable, schedule deletion")
    .addCommand(
      keysSubcommand("list", "list master keys and their states").action((options: KeysOptions) =>
        withKeys(options, async (keys) => {
          const primary = await keys.primaryKeyId();
          const rows = (await keys.listKeys()).map((k) => [k.keyId + (k.keyId === primary ? out.green(" (primary)") : ""), k.state, String(k.currentVersion), k.deletionDate ?? ""]);
          process.stdout.write(renderTable(["KEY", "STATE", "VERSION", "DELETION DATE"], rows));
        }),
      ),
    )
    .addCommand(
      keysSubcommand("rotate", "give the primary master key a new version and re-wrap every data key under it").action((options: KeysOptions) =>
        withKeys(options, async (_keys, encryption) => {
          const report = await encryption.rotateMasterKey();
          process.stdout.write(`Rotated the primary master key; re-wrapped ${report.rewrapped} data key(s).\n`);
          for (const f of report.failed) process.stdout.write(`  ${out.red("✗")} account ${f.accountId} data key v${f.version}: ${f.reason}\n`);
          if (report.failed.length) process.exitCode = 1;
        }),
      ),
    )
    .addCommand(
      keysSubcommand("rotate-data-key", "start a new data key version for an account's new writes")
        .option("--account <id>", "the account", DEFAULT_ACCOUNT_ID)
        .action((options: KeysOptions & { account: string }) =>
          withKeys(options, async (_keys, encryption) => {
            const version = await encryption.rotateDataKey(options.account);
            process.stdout.write(`Account ${options.account} now writes with data key version ${version}; older versions keep decrypting.\n`);
          }),
        ),
    )
    .addCommand(
      keysSubcommand("disable", "disable a master key: everything under it becomes unreadable until enabled")
        .argument("<keyId>")
        .action((keyId: string, options: KeysOptions) =>
          withKeys(options, async (keys) => {
            await keys.disableKey(keyId);
            process.stdout.write(`Disabled ${keyId}. A running server refuses content under it within its key-cache period.\n`);
          }),
        ),
    )
    .addCommand(
      keysSubcommand("enable", "enable a disabled master key")
        .argument("<keyId>")
        .action((keyId: string, options: KeysOptions) =>
          withKeys(options, async (keys) => {
            await keys.enableKey(keyId);
            process.stdout.write(`Enabled ${keyId}.\n`);
          }),
        ),
    )
    .addCommand(
      keysSubcommand("schedule-deletion", "schedule a master key's destruction after a waiting period")
        .argument("<keyId>")
        .option("--days <n>", "waiting period in days (7 to 30, as KMS)", parsePositiveInt, 30)
        .action((keyId: string, options: KeysOptions & { days: number }) =>
          withKeys(options, async (keys) => {
            const key = await keys.scheduleKeyDeletion(keyId, options.days);
            process.stdout.write(`${keyId} will be destroyed after ${key.deletionDate}; until then, basalt keys cancel-deletion ${keyId} undoes this.\n`);
          }),
        ),
    )
    .addCommand(
      keysSubcommand("cancel-deletion", "cancel a scheduled deletion (the key stays disabled until enabled)")
        .argument("<keyId>")
        .action((keyId: string, options: KeysOptions) =>
          withKeys(options, async (keys) => {
            await keys.cancelKeyDeletion(keyId);
            process.stdout.write(`Cancelled the deletion of ${keyId}; it is disabled: basalt keys enable ${keyId}.\n`);
          }),
        ),
    );
}
