// `basalt usage`: the cost report of recorded usage (the metadata database) priced with the
// configured price table (`quotas.prices`), as a table or JSON. Reads only: it works while the
// server runs, and shows what the server has written (records are batched for about a second).
// `basalt usage logs` decrypts the invocation logs of the data directory to JSON Lines.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { migrate } from "../store/db/migrate.ts";
import { databaseOptionsFromConfig, openDatabase, SQLITE_FILE_NAME } from "../store/db/open-database.ts";
import { BasaltError } from "../spec/errors.ts";
import { masterKeyFile, openEncryption } from "../store/crypto/open-encryption.ts";
import { buildCostReport, costReportJson, renderCostTable, type CostGroupKey } from "../usage/cost-report.ts";
import { DbUsageRecorder } from "../usage/db-usage-recorder.ts";
import { listInvocationLogFiles, readInvocationLogs } from "../usage/invocation-log-files.ts";
import { PriceTable } from "../usage/prices.ts";
import { loadCliConfig, type ConfigOptions } from "./config-options.ts";
import { CliError, err, out, tildify } from "./output.ts";

/** Options of `basalt usage`. */
interface UsageOptions extends ConfigOptions {
  from?: Date;
  to?: Date;
  by?: CostGroupKey;
  json?: boolean;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Commander parser for `--from`: a day (UTC midnight) or any ISO 8601 time. */
function parseFrom(value: string): Date {
  return parseDate(value, false);
}

/** Commander parser for `--to`: a day includes that whole day (up to the next UTC midnight). */
function parseTo(value: string): Date {
  return parseDate(value, true);
}

function parseDate(value: string, endOfDay: boolean): Date {
  const date = new Date(DAY.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError("expected a date such as 2025-06-01 or an ISO 8601 time such as 2025-06-01T12:00:00Z.");
  if (endOfDay && DAY.test(value)) date.setUTCDate(date.getUTCDate() + 1);
  return date;
}

function describePeriod(from?: Date, to?: Date): string {
  const show = (d: Date) => d.toISOString().replace(":00.000Z", "Z").replace("T00:00Z", "");
  if (!from && !to) return "all recorded usage";
  return `${from ? show(from) : "the beginning"} to ${to ? `${show(to)} (exclusive)` : "now"}`;
}

/** Options of `basalt usage logs`. */
interface LogsOptions extends ConfigOptions {
  account?: string;
  from?: Date;
  to?: Date;
}

/** The `usage logs` command: the data directory's invocation logs, decrypted, as JSON Lines on stdout. */
function logsCommand(): Command {
  return new Command("logs")
    .description("print the invocation logs written to the data directory, decrypted, as JSON Lines")
    .option("--account <id>", "only this account's records")
    .option("--from <date>", "start of the period (UTC day such as 2025-06-01, or an ISO 8601 time)", parseFrom)
    .option("--to <date>", "end of the period; a day counts in full", parseTo)
    .option("--data-dir <dir>", "data directory (default ~/.basalt)")
    .option("--config <file>", "configuration file (YAML or JSON)")
    .action(async (_options: LogsOptions, command: Command) => {
      // `usage` has --from, --to, --data-dir and --config too, and takes them wherever they stand.
      const options = command.optsWithGlobals<LogsOptions>();
      const config = loadCliConfig(options);
      const dir = join(config.dataDir, "invocation-logs");
      const { from, to } = options;
      const selection = {
        dir,
        accountId: options.account,
        from: from?.toISOString().slice(0, 10),
        to: to ? new Date(to.getTime() - 1).toISOString().slice(0, 10) : undefined,
      };
      if ((await listInvocationLogFiles(selection)).length === 0) {
        throw new CliError(`No invocation logs${options.account ? ` of account ${options.account}` : ""} in ${tildify(dir)} for that period.`, {
          hint: "logging is off until PutModelInvocationLoggingConfiguration turns it on; records for an S3 bucket go there instead",
        });
      }
      // Opening encryption creates a key file where none exists; a reader must not.
      const keyFile = masterKeyFile({ dataDir: config.dataDir, keyProvider: config.encryption.keyProvider });
      if (keyFile && !existsSync(keyFile)) {
        throw new CliError(`The master key file ${tildify(keyFile)} does not exist, so the logs cannot be decrypted.`, { hint: "restore it from your backup" });
      }
      // Several nodes on PostgreSQL keep the wrapped data keys in the database (docs/decisions/0020).
      const dbOptions = databaseOptionsFromConfig(config);
      const db = dbOptions.url && /^postgres/i.test(dbOptions.url) ? openDatabase(dbOptions) : undefined;
      const encryption = await openEncryption({ dataDir: config.dataDir, keyProvider: config.encryption.keyProvider, db }).catch(async (error: unknown) => {
        await db?.close();
        throw error;
      });
      let unreadable = 0;
      try {
        if (db) await migrate(db);
        for await (const record of readInvocationLogs({ ...selection, encryption, onUnreadable: () => void unreadable++ })) {
          const at = Date.parse(record.timestamp);
          if ((from && at < from.getTime()) || (to && at >= to.getTime())) continue;
          if (!process.stdout.write(`${JSON.stringify(record)}\n`)) await new Promise((resolve) => process.stdout.once("drain", resolve));
        }
      } catch (error) {
        if (error instanceof BasaltError && error.code === "KEY_UNAVAILABLE") {
          throw new CliError(error.message, { hint: "the logs' encryption key is unavailable; enable it (or restore master.key) and run this again", cause: error });
        }
        throw error;
      } finally {
        encryption.close();
        await db?.close();
      }
      if (unreadable) process.stderr.write(err.dim(`${unreadable} line(s) could not be decrypted (torn by a crash mid-write, or altered) and were skipped.\n`));
    });
}

/** The `usage` command. */
export function usageCommand(): Command {
  return new Command("usage")
    .description("report recorded usage and its cost from the configured price table (quotas.prices)")
    .option("--from <date>", "start of the period (UTC day such as 2025-06-01, or an ISO 8601 time)", parseFrom)
    .option("--to <date>", "end of the period; a day counts in full (2025-06-30 includes June 30)", parseTo)
    .addOption(new Option("--by <dimension>", "group by one dimension (default: model, then principal)").choices(["model", "principal", "account"]))
    .option("--json", "print JSON instead of a table")
    .option("--data-dir <dir>", "data directory (default ~/.basalt)")
    .option("--config <file>", "configuration file (YAML or JSON)")
    .addCommand(logsCommand())
    .action(async (options: UsageOptions) => {
      if (options.from && options.to && options.from >= options.to) {
        throw new CliError("--from must be before --to.", { exitCode: 2, hint: "for one day, give the same date to both: --from 2025-06-01 --to 2025-06-01" });
      }
      const config = loadCliConfig(options);
      const dbOptions = databaseOptionsFromConfig(config);
      // Reading must not create a database where the server never ran.
      if (!dbOptions.url && !existsSync(join(config.dataDir, SQLITE_FILE_NAME))) {
        throw new CliError(`No usage is recorded in ${tildify(config.dataDir)} yet.`, { hint: "start the server with `basalt serve` (and the same --data-dir or --config), make some calls, then run this again" });
      }
      const db = openDatabase(dbOptions);
      try {
        await migrate(db);
        const report = await buildCostReport({
          records: new DbUsageRecorder({ db }).query({ from: options.from, to: options.to }),
          prices: new PriceTable(config.quotas?.prices),
          from: options.from,
          to: options.to,
          groupBy: options.by ? [options.by] : undefined,
        });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(costReportJson(report), null, 2)}\n`);
          return;
        }
        process.stdout.write(`${out.bold("Usage and cost")} ${out.dim(`— ${describePeriod(options.from, options.to)}, USD`)}\n\n`);
        process.stdout.write(renderCostTable(report));
      } finally {
        await db.close();
      }
    });
}
