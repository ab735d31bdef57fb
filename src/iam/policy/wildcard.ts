// IAM wildcard matching: `*` matches any run of characters (also `:` and `/`), `?` exactly
// one. Greedy backtracking over two indexes: linear in practice and, unlike a regular
// expression built from user input, never catastrophic.

/** Whether `value` matches `pattern`; actions compare case-insensitively, resources not. */
export function matchWildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  let pi = 0;
  let vi = 0;
  let starAt = -1;
  let resumeAt = 0;
  while (vi < v.length) {
    if (pi < p.length && (p[pi] === "?" || p[pi] === v[vi])) {
      pi++;
      vi++;
    } else if (pi < p.length && p[pi] === "*") {
      starAt = pi++;
      resumeAt = vi;
    } else if (starAt !== -1) {
      pi = starAt + 1;
      vi = ++resumeAt;
    } else return false;
  }
  while (pi < p.length && p[pi] === "*") pi++;
  return pi === p.length;
}

/** Whether a pattern contains a wildcard. */
export function hasWildcard(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes("?");
}
