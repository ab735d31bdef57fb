// Filterable metadata held in memory for the embedded store. Chunks of one document (or page)
// share their metadata, so each distinct metadata object is kept once (interned in SQLite's
// `metadata` table) and a filter is evaluated once per distinct object, not once per chunk.
import { matchesFilter, type Metadata, type MetadataFilter } from "../filter.ts";

/** The chunks a filter admits: which interned metadata ids match and how many chunks carry them. */
export interface FilterSelection {
  metaIds: Set<number>;
  /** Chunks whose metadata matches. */
  count: number;
}

interface Entry {
  metadata: Metadata;
  /** Live chunks carrying this metadata. */
  refs: number;
}

/** Interned metadata by id, and each live chunk's (label's) metadata id. */
export class MetadataCatalog {
  readonly #entries = new Map<number, Entry>();
  readonly #labels = new Map<number, number>();

  /** Live chunks. */
  get size(): number {
    return this.#labels.size;
  }

  /** Records a live chunk; `metadata` is called only for an id not seen before. */
  add(label: number, metaId: number, metadata: () => Metadata): void {
    let entry = this.#entries.get(metaId);
    if (!entry) {
      entry = { metadata: metadata(), refs: 0 };
      this.#entries.set(metaId, entry);
    }
    entry.refs++;
    this.#labels.set(label, metaId);
  }

  /** Forgets a chunk; returns whether it was known. */
  remove(label: number): boolean {
    const metaId = this.#labels.get(label);
    if (metaId === undefined) return false;
    this.#labels.delete(label);
    const entry = this.#entries.get(metaId)!;
    if (--entry.refs === 0) this.#entries.delete(metaId);
    return true;
  }

  /** Whether a label is a live chunk. */
  has(label: number): boolean {
    return this.#labels.has(label);
  }

  /** Evaluates a filter once per distinct metadata object. */
  select(filter: MetadataFilter): FilterSelection {
    const metaIds = new Set<number>();
    let count = 0;
    for (const [id, entry] of this.#entries) {
      if (matchesFilter(entry.metadata, filter)) {
        metaIds.add(id);
        count += entry.refs;
      }
    }
    return { metaIds, count };
  }

  /** A predicate over labels for a selection (used inside the ANN search's filter callback). */
  admits(selection: FilterSelection): (label: number) => boolean {
    const labels = this.#labels;
    const metaIds = selection.metaIds;
    return (label) => {
      const metaId = labels.get(label);
      return metaId !== undefined && metaIds.has(metaId);
    };
  }
}
