/**
 * Near-miss matching for hints (ADR 0020). Runs only on the refusal path: a request that is
 * served never computes a distance.
 */

/** Optimal string alignment distance: edits, plus a swap of two adjacent characters as one. */
export function editDistance(a: string, b: string): number {
  const [x, y] = [[...a], [...b]];
  let before: number[] = [];
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) best = Math.min(best, (before[j - 2] as number) + 1);
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[y.length] as number;
}

/**
 * How far a word may be from a name and still be called a near miss of it. A word of three
 * letters or fewer must match exactly: `ls` is one edit from `ps`, and sending an agent
 * that typed a shell command to another program teaches it the wrong thing.
 */
function tolerance(word: string): number {
  const length = [...word].length;
  return length <= 3 ? 0 : length <= 6 ? 1 : 2;
}

/**
 * The candidate closest to `word` within tolerance, or null. Ties go to the earlier
 * candidate, so the answer follows the config's order and is the same on every call.
 */
export function closest(word: string, candidates: Iterable<string>): string | null {
  const wanted = word.toLowerCase();
  let best: string | null = null;
  let bestDistance = tolerance(wanted) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}
