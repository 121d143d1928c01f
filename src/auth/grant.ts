import { levelAtLeast, type Level } from '../errors.js';
import type { Grant } from './_scheme.js';

/** The rights of one request: the key's, raised by a verified proof (docs/protocol.md §5). */
export interface Rights {
  readonly level: Level;
  readonly tags: readonly string[];
}

/** A proof only ever raises: the higher level, and the union of the tags. */
export function raisedBy(rights: Rights, grant: Grant): Rights {
  return {
    level: levelAtLeast(rights.level, grant.level) ? rights.level : grant.level,
    tags: [...new Set([...rights.tags, ...grant.tags])],
  };
}
