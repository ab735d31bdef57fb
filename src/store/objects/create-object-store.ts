// Builds the configured object store: `<dataDir>/objects` by default, or an S3-compatible
// bucket with credentials resolved from secret references at start (never logged).
import { join } from "node:path";
import type { Config } from "../../config/schema.ts";
import { resolveSecret } from "../../config/secrets.ts";
import { LocalObjectStore } from "./local-object-store.ts";
import type { ObjectStore } from "./object-store.ts";
import { S3ObjectStore, type S3ObjectStoreOptions } from "./s3-object-store.ts";

/** The `objectStorage` section of the configuration. */
export type ObjectStorageConfig = NonNullable<Config["objectStorage"]>;

/** Tuning that is not configuration: multipart sizes, mostly for tests. */
export type ObjectStoreTuning = Pick<S3ObjectStoreOptions, "multipartThresholdBytes" | "partSizeBytes" | "partConcurrency">;

/** The object store the configuration names. */
export function createObjectStore(config: Pick<Config, "dataDir" | "objectStorage">, tuning: ObjectStoreTuning = {}): ObjectStore {
  const storage: ObjectStorageConfig = config.objectStorage ?? { type: "local" };
  if (storage.type === "local") return new LocalObjectStore({ root: join(config.dataDir, "objects") });
  const credentials =
    storage.accessKeyId !== undefined && storage.secretAccessKey !== undefined
      ? { accessKeyId: resolveSecret(storage.accessKeyId), secretAccessKey: resolveSecret(storage.secretAccessKey) }
      : undefined;
  return new S3ObjectStore({
    bucket: storage.bucket,
    prefix: storage.prefix,
    endpoint: storage.endpoint,
    region: storage.region,
    forcePathStyle: storage.forcePathStyle,
    credentials,
    ...tuning,
  });
}
