// Hybrid search: lexical and vector result lists fused by reciprocal rank (Cormack et al. 2009),
// which needs no score calibration between BM25 and cosine similarity, and a convex combination
// of normalised scores, which HYBRID search uses: measured on SciFact, it let a weak embedder
// improve on lexical search where rank fusion could not (docs/decisions/0022-hybrid-fusion.md).

/** Rank constant of reciprocal-rank fusion; 60 is the published default. */
export const RRF_K = 60;

/**
 * HYBRID search's share of the semantic list in the convex combination. Chosen on SciFact's
 * train split with the offline embedder (docs/decisions/0022-hybrid-fusion.md); the test split
 * is reported, never tuned on.
 */
export const HYBRID_SEMANTIC_WEIGHT = 0.05;

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
 * Convex combination of min-max normalised scores (Bruch et al. 2022): each list's scores are
 * scaled to [0, 1] over that list, an id missing from a list gets 0 there, and the fused score
 * is (1 − alpha)·lexical + alpha·semantic. Unlike rank fusion, a weak list can only nudge the
 * other's order where its scores are close.
 */
export function convexCombination(
  semantic: ReadonlyArray<{ id: string; score: number }>,
  lexical: ReadonlyArray<{ id: string; score: number }>,
  alpha: number,
): Array<{ id: string; score: number }> {
  const normalise = (list: ReadonlyArray<{ id: string; score: number }>) => {
    const scores = list.map((h) => h.score);
    const min = Math.min(...scores);
    const span = Math.max(...scores) - min;
    return new Map(list.map((h) => [h.id, span > 0 ? (h.score - min) / span : 1]));
  };
  const s = normalise(semantic);
  const l = normalise(lexical);
  const ids = new Set([...s.keys(), ...l.keys()]);
  return [...ids]
    .map((id) => ({ id, score: (1 - alpha) * (l.get(id) ?? 0) + alpha * (s.get(id) ?? 0) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
}

/**
 * HYBRID search: the convex combination of a semantic and a lexical list with
 * {@link HYBRID_SEMANTIC_WEIGHT}. When one list is empty the other stands alone at full weight.
 */
export function fuseHybrid(
  semantic: ReadonlyArray<{ id: string; score: number }>,
  lexical: ReadonlyArray<{ id: string; score: number }>,
  semanticWeight = HYBRID_SEMANTIC_WEIGHT,
): Array<{ id: string; score: number }> {
  if (lexical.length === 0) return convexCombination(semantic, [], 1);
  if (semantic.length === 0) return convexCombination([], lexical, 0);
  return convexCombination(semantic, lexical, semanticWeight);
}
