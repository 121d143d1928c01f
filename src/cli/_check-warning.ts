import type { ConfigProblem } from '../config/index.js';

/** A `check` warning with a stable code beside its path, so scripts and tests need no prose. */
export interface CheckWarning extends ConfigProblem {
  readonly code: string;
  /** For environment findings: the variables or families (`NODE_*`) a client can set. */
  readonly reaches?: readonly string[];
}
