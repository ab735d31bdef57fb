// Hybrid search: lexical and vector result lists fused by reciprocal rank (Cormack et al. 2009),
// which needs no score calibration between BM25 and cosine similarity.

/** Rank constant of reciprocal-rank fusion; 60 is the published default. */
export const RRF_K = 60;

/**
 * Fuses ranked id lists into one, best first. Each list contributes 1 / (k + rank) for every id
 * it holds; scores are scaled so an id ranked first in every list scores 1.
 */
export function reciprocalRankFusion(lists: ReadonlyArray<readonly string[]>, k = RRF_K): Array<{ id: string; score: number }> {
  const scores = new Map<string, number>();
  for (const list of lists) list.forEach((id, rank) => scores.set(id, (scores.get(id) ?? 0) + 1 / (k + rank + 1)));
  const best = lists.length / (k + 1);
  return [...scores].map(([id, score]) => ({ id, score: score / best })).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
}
