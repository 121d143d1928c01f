import { accessSync, constants, statSync } from 'node:fs';

/** An executable regular file: what `check` asks of every `exec[0]` and of the chain's lock tool. */
export function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
