// The models of one configuration held in memory: loaded lazily on first use, at most
// `maxLoaded` at once with the least recently used idle one unloaded past the cap. A model in
// use (generating, counting or queued) is never unloaded; the cap is then exceeded briefly and
// restored as soon as one goes idle.
import type { Llama } from "node-llama-cpp";
import { loadModel, type LlamaCppModelConfig, type LoadedModel } from "./loaded-model.ts";
import { RequestQueue } from "./request-queue.ts";

/** Options of {@link ModelPool}. */
export interface ModelPoolOptions {
  /** The shared runtime, started on first need. */
  llama: () => Promise<Llama>;
  maxLoaded: number;
  threads: number;
  /** Sequences per generation model. */
  parallel: number;
}

/** A held model; `release` must be called exactly once. */
export interface Lease {
  loaded: LoadedModel;
  /** The slot (sequence index) held, when one was asked for. */
  slot?: number;
  release(): void;
}

/** What the pool holds for one model, for status pages and tests. */
export interface PooledModelStatus {
  id: string;
  /** Requests generating or counting now. */
  active: number;
  /** Requests waiting for a slot. */
  waiting: number;
}

interface Entry {
  config: LlamaCppModelConfig;
  queue: RequestQueue;
  loaded: Promise<LoadedModel>;
  /** Leases plus waiters: an entry with users is never evicted. */
  users: number;
}

/** Loads, shares and unloads models. Entries are ordered least recently used first. */
export class ModelPool {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: ModelPoolOptions) {}

  /** Holds a model (loading it if needed) and, with `slot`, one of its sequences in FIFO order. */
  async acquire(config: LlamaCppModelConfig, request: { slot: boolean; signal?: AbortSignal }): Promise<Lease> {
    request.signal?.throwIfAborted();
    const entry = this.touch(config);
    let slot: number | undefined;
    try {
      if (request.slot) slot = await entry.queue.acquire(request.signal);
      const loaded = await entry.loaded;
      let released = false;
      return {
        loaded,
        slot,
        release: () => {
          if (released) return;
          released = true;
          if (slot !== undefined) entry.queue.release(slot);
          entry.users--;
          void this.enforceCap();
        },
      };
    } catch (error) {
      if (slot !== undefined) entry.queue.release(slot);
      entry.users--;
      void this.enforceCap();
      throw error;
    }
  }

  /** The models held (in memory or loading), least recently used first. */
  status(): PooledModelStatus[] {
    return [...this.entries.values()].map((e) => ({ id: e.config.id, active: e.queue.active, waiting: e.queue.waiting }));
  }

  /** Unloads every model; later use loads them again. */
  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((entry) => this.unload(entry)));
  }

  /** Finds or starts the entry, counts one more user and marks it most recently used. */
  private touch(config: LlamaCppModelConfig): Entry {
    const key = config.id;
    let entry = this.entries.get(key);
    if (entry) {
      entry.users++;
      this.entries.delete(key);
      this.entries.set(key, entry);
      return entry;
    }
    const capacity = config.embedding ? 1 : this.options.parallel;
    const created: Entry = { config, queue: new RequestQueue(capacity), loaded: this.load(config), users: 1 };
    // A failed load leaves the pool so that the next request retries (the file may appear).
    created.loaded.catch(() => {
      if (this.entries.get(key) === created) this.entries.delete(key);
    });
    this.entries.set(key, created);
    entry = created;
    void this.enforceCap();
    return entry;
  }

  private async load(config: LlamaCppModelConfig): Promise<LoadedModel> {
    const llama = await this.options.llama();
    return loadModel({ llama, config, threads: this.options.threads, parallel: this.options.parallel });
  }

  /** Unloads least recently used idle models while more than `maxLoaded` are held. */
  private async enforceCap(): Promise<void> {
    const unloads: Promise<void>[] = [];
    while (this.entries.size > this.options.maxLoaded) {
      const victim = [...this.entries.values()].find((e) => e.users === 0);
      if (!victim) break;
      this.entries.delete(victim.config.id);
      unloads.push(this.unload(victim));
    }
    await Promise.all(unloads);
  }

  private async unload(entry: Entry): Promise<void> {
    const loaded = await entry.loaded.catch(() => undefined);
    await loaded?.dispose().catch(() => undefined);
  }
}
