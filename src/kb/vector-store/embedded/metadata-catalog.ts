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

/** Interned metadata by id, and each live chunk's (label's) metadata id. */
export class MetadataCatalog {
  // Dense arrays indexed by metadata id (SQLite rowids, so nearly dense): a filter walks them
  // without the iterator of a Map.
  readonly #metadata: Array<Metadata | undefined> = [];
  /** Live chunks carrying each metadata object. */
  readonly #refs: number[] = [];
  readonly #labels = new Map<number, number>();

  /** Live chunks. */
  get size(): number {
    return this.#labels.size;
  }

  /** Records a live chunk; `metadata` is called only for an id not seen before. */
  add(label: number, metaId: number, metadata: () => Metadata): void {
    if (this.#metadata[metaId] === undefined) {
      this.#metadata[metaId] = metadata();
      this.#refs[metaId] = 0;
    }
    this.#refs[metaId]!++;
    this.#labels.set(label, metaId);
  }

  /** Forgets a chunk; returns whether it was known. */
  remove(label: number): boolean {
    const metaId = this.#labels.get(label);
    if (metaId === undefined) return false;
    this.#labels.delete(label);
    if (--this.#refs[metaId]! === 0) this.#metadata[metaId] = undefined;
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
    const all = this.#metadata;
    for (let id = 0; id < all.length; id++) {
      const metadata = all[id];
      if (metadata !== undefined && matchesFilter(metadata, filter)) {
        metaIds.add(id);
        count += this.#refs[id]!;
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
