// The one llama.cpp runtime of the process. Loading the native binding costs about a second,
// so it is created on first use and shared by every model; its thread cap is the budget all
// loaded models share, so two busy models never oversubscribe the CPU between them.
import { availableParallelism } from "node:os";
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";
import type { Logger } from "pino";
import type { Config } from "../../../config/schema.ts";
import { BasaltError } from "../../../spec/errors.ts";

/** The `llama` section of the configuration. */
export type LlamaSettings = Config["llama"];

const runtimes = new Map<LlamaSettings["gpu"], Promise<Llama>>();

/**
 * CPU threads per model: the configured count, or one per core. node-llama-cpp's own default
 * (at least 4) makes a 2-core machine crawl at about 1 token/s (../shared/models/README.md).
 */
export function resolveThreads(threads: number): number {
  return threads > 0 ? threads : availableParallelism();
}

function gpuOption(gpu: LlamaSettings["gpu"]): "auto" | "cuda" | "vulkan" | "metal" | false {
  return gpu === "off" ? false : gpu;
}

function logTo(logger: Logger) {
  const log = logger.child({ component: "llama.cpp" });
  return (level: LlamaLogLevel, message: string) => {
    const text = message.trim();
    if (!text) return;
    if (level === LlamaLogLevel.fatal || level === LlamaLogLevel.error) log.error(text);
    else if (level === LlamaLogLevel.warn) log.warn(text);
    else log.debug(text);
  };
}

/** Returns the shared runtime for these settings, starting it on first use. */
export async function llamaRuntime(settings: LlamaSettings, logger: Logger): Promise<Llama> {
  let runtime = runtimes.get(settings.gpu);
  if (!runtime) {
    runtime = getLlama({
      gpu: gpuOption(settings.gpu),
      // Prebuilt binaries only: a server must never start compiling llama.cpp on a request.
      build: "never",
      skipDownload: true,
      progressLogs: false,
      logLevel: LlamaLogLevel.warn,
      logger: logTo(logger),
      maxThreads: resolveThreads(settings.threads),
    }).catch((error: unknown) => {
      runtimes.delete(settings.gpu);
      throw new BasaltError(
        "MODEL_NOT_READY",
        `llama.cpp could not start with llama.gpu "${settings.gpu}". Check that a matching node-llama-cpp binary is installed (docs/decisions/0002-cpu-only-llama-binaries.md) or set llama.gpu to "off".`,
        { cause: error },
      );
    });
    runtimes.set(settings.gpu, runtime);
  }
  const llama = await runtime;
  llama.maxThreads = resolveThreads(settings.threads);
  return llama;
}

/** Disposes every runtime; the next use starts a fresh one. */
export async function disposeRuntimes(): Promise<void> {
  const all = [...runtimes.values()];
  runtimes.clear();
  await Promise.all(all.map(async (runtime) => (await runtime.catch(() => undefined))?.dispose()));
}
