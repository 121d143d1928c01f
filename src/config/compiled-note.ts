import type { Config, LoadResult } from './types.js';

/** A full load made because the compiled form was ignored, carrying why (ADR 0019). */
export function withIgnoredCompiledForm(loaded: LoadResult, why: string): LoadResult {
  if (!loaded.ok) return { ...loaded, errors: [...loaded.errors, { path: '(compiled)', message: `ignored: ${why}` }] };
  return { ...loaded, config: { ...loaded.config, compiledFormIgnored: [why] } };
}

/**
 * The audit `detail` of a decision: the refusal's own detail, then why the compiled form, or
 * a line of it, was not served, so the operator sees the slow path and its cause.
 */
export function decisionDetail(failureDetail: string | undefined, config: Config): string | undefined {
  const ignored = config.compiledFormIgnored ?? [];
  if (ignored.length === 0) return failureDetail;
  const note = `compiled form ignored: ${ignored.join('; ')}`;
  return failureDetail === undefined ? note : `${failureDetail}; ${note}`;
}
