// Chooses the engine: PostgreSQL for a postgres:// URL, otherwise embedded SQLite.
import { join } from "node:path";
import type { Config } from "../../config/schema.ts";
import { resolveSecret } from "../../config/secrets.ts";
import type { Database, DatabaseOptions } from "./database.ts";
import { openPostgres } from "./postgres.ts";
import { openSqlite } from "./sqlite.ts";

/** File name of the default SQLite database inside the data directory. */
export const SQLITE_FILE_NAME = "basalt.db";

/** Opens the metadata database described by `options` (run `migrate` before use). */
export function openDatabase(options: DatabaseOptions): Database {
  const url = options.url;
  if (url && /^postgres(ql)?:\/\//i.test(url)) {
    return openPostgres({ url, poolSize: options.poolSize, onIdleError: options.onIdleError });
  }
  let path: string;
  if (url?.startsWith("sqlite:")) path = url.slice("sqlite:".length);
  else if (url) throw new Error("database.url must start with postgres://, postgresql:// or sqlite:");
  else if (options.dataDir) path = join(options.dataDir, SQLITE_FILE_NAME);
  else throw new Error("openDatabase needs a url or a dataDir");
  return openSqlite({ path, busyTimeoutMs: options.busyTimeoutMs, synchronous: options.synchronous });
}

/** Database options from the validated configuration, resolving a secret reference in `database.url`. */
export function databaseOptionsFromConfig(config: Pick<Config, "dataDir" | "database">): DatabaseOptions {
  const url = config.database?.url;
  return { dataDir: config.dataDir, url: url && /^(env|file)::/.test(url) ? resolveSecret(url) : url };
}
