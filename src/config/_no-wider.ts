import { statSync } from 'node:fs';
import { modeText } from './_permissions.js';
import { compiledPathFor } from './path.js';

interface Access {
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
}

/**
 * docs/config.md "File permissions": a form served in place of the config is used only while its owner, group
 * and mode are no wider than the config's at that moment, so a later `chmod 600` on the
 * config also closes the compiled copy of its secrets. Null when it is no wider.
 */
export function widerThanConfig(derived: Access, config: Access): string | null {
  if (derived.uid !== config.uid) return `it is owned by uid ${derived.uid}, the config by uid ${config.uid}`;
  if ((derived.mode & 0o777 & ~config.mode) !== 0) {
    return `its mode ${modeText(derived)} allows more than the config's ${modeText(config)}`;
  }
  if ((derived.mode & 0o070) !== 0 && derived.gid !== config.gid) {
    return `its group gid ${derived.gid} has access, the config's group is gid ${config.gid}`;
  }
  return null;
}

/** For `check`: why the config's compiled form, if there is one, is too wide to be served. */
export function compiledFormWidening(configPath: string): string | null {
  try {
    const compiledPath = compiledPathFor(configPath);
    const reason = widerThanConfig(statSync(compiledPath), statSync(configPath));
    return reason === null ? null : `${compiledPath} is not used: ${reason}; run portcullis check --compile`;
  } catch {
    return null; // Missing or unreadable: the compiled-form check says so.
  }
}
