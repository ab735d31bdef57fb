// Hybrid search: lexical and vector result lists fused by reciprocal rank (Cormack et al. 2009),
// which needs no score calibration between BM25 and cosine similarity. Each list may carry a
// weight; the stores weight their semantic and lexical lists by HYBRID_WEIGHTS, chosen by
// measurement (bench/retrieval-quality.ts, docs/decisions/0022-hybrid-weights.md).

/** Rank constant of reciprocal-rank fusion; 60 is the published default. */
export const RRF_K = 60;

/** How much each list counts in HYBRID search. */
export const HYBRID_WEIGHTS = { semantic: 1, lexical: 1 };

/**
 * Fuses ranked id lists into one, best first. Each list contributes weight / (k + rank) for
 * every id it holds (weight 1 unless `weights` says otherwise); scores are scaled so an id
 * ranked first in every list scores 1.
 */
export function reciprocalRankFusion(lists: ReadonlyArray<readonly string[]>, k = RRF_K, weights?: readonly number[]): Array<{ id: string; score: number }> {
  const scores = new Map<string, number>();
  lists.forEach((list, l) => {
    const weight = weights?.[l] ?? 1;
    list.forEach((id, rank) => scores.set(id, (scores.get(id) ?? 0) + weight / (k + rank + 1)));
  });
  const total = lists.reduce((sum, _list, l) => sum + (weights?.[l] ?? 1), 0);
  const best = total / (k + 1);
  return [...scores].map(([id, score]) => ({ id, score: best > 0 ? score / best : 0 })).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
}

/**
 * Fuses a semantic and a lexical list (ids, best first) with {@link HYBRID_WEIGHTS}. An empty
 * list is left out, so a query no document matches lexically still scores its semantic hits fully.
 */
export function fuseHybrid(semantic: readonly string[], lexical: readonly string[], weights = HYBRID_WEIGHTS): Array<{ id: string; score: number }> {
  const lists = [
    { ids: semantic, weight: weights.semantic },
    { ids: lexical, weight: weights.lexical },
  ].filter((list) => list.ids.length > 0 && list.weight > 0);
  return reciprocalRankFusion(
    lists.map((list) => list.ids),
    RRF_K,
    lists.map((list) => list.weight),
  );
}
