// The compiled config's format key (ADR 0019): a hash of everything that decides what a
// compiled form holds and means: the sources of src/config (schema, cross-field rules, the
// compiled form and its structural check) and the release in package.json. scripts/build.mjs
// writes it into src/config/_format-key.ts, so the bundle and the test build always agree and
// nobody copies a version string by hand; test/release.test.ts checks that it is current.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FORMAT_KEY_FILE = join('src', 'config', '_format-key.ts');

export function formatKey(root) {
  const hash = createHash('sha256');
  hash.update(`release ${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version}\n`);
  const dir = join(root, 'src', 'config');
  const sources = readdirSync(dir)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && file !== '_format-key.ts')
    .sort();
  for (const file of sources) {
    // Line endings aside, so that a checkout with CRLF computes the same key.
    hash.update(`${file}\n${readFileSync(join(dir, file), 'utf8').replaceAll('\r\n', '\n')}\n`);
  }
  return hash.digest('hex').slice(0, 24);
}

export function formatKeySource(key) {
  return `// Written by scripts/build.mjs (scripts/format-key.mjs): do not edit by hand (ADR 0019).\nexport const FORMAT_KEY = '${key}';\n`;
}
