import fc from 'fast-check';

/**
 * Fuzz budget: a short smoke run under `npm test`, as long as asked with FUZZ_RUNS. Targets
 * whose iterations touch the disk or spawn processes divide FUZZ_RUNS by their `cost`.
 * The seed is printed, so any failure can be replayed with FUZZ_SEED.
 */
export function fuzzParameters(target: string, smokeRuns: number, cost = 1): fc.Parameters<unknown> {
  const asked = Number(process.env.FUZZ_RUNS);
  const numRuns = asked > 0 ? Math.max(1, Math.floor(asked / cost)) : smokeRuns;
  const seed = Number(process.env.FUZZ_SEED) || (Date.now() ^ (Math.random() * 0x100000000)) | 0;
  console.log(`fuzz ${target}: ${numRuns} runs, seed ${seed} (replay with FUZZ_SEED=${seed})`);
  return { numRuns, seed, endOnFailure: true };
}

/** Text biased towards what the grammar cares about: quotes, metacharacters, controls, Unicode. */
export const hostileText = (maxLength: number): fc.Arbitrary<string> =>
  fc
    .array(
      fc.oneof(
        fc.constantFrom(' ', '\t', "'", '"', '\\', '=', '+', ';', '|', '&', '$', '`', '\n', '\r', '\0', '\u202e', '\u200b', '\ufffd', '\ud800', '-', '/', '..', '{', '}'),
        fc.constantFrom('app', 'run', 'infra', 'disk', 'help', 'list', 'whoami', '__proto__', 'constructor', 'msg=', 'n=', 'file=', '+token=', '+proof='),
        fc.string({ unit: 'binary', maxLength: 4 }),
        fc.string({ maxLength: 6 }),
      ),
      { maxLength },
    )
    .map((parts) => parts.join(''));
