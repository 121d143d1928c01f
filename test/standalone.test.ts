import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

// A clone has no ../shared: every reference a reader follows must be a file of this repository.
const ROOT = resolve(__dirname, '..', '..');
const SCANNED = ['README.md', 'docs', 'src', 'test', 'e2e', 'testkit', 'scripts', 'bench', 'fuzz', 'config'];
const OUTSIDE = /\.\.\/shared|CONTRACT(?:\.md|\s*§)/;

function* files(path: string): Generator<string> {
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path)) yield* files(join(path, entry));
  } else if (/\.(ts|md|toml|json|mjs)$/.test(path)) {
    yield path;
  }
}

describe('the repository stands alone', () => {
  it('no file cites the outside specification instead of docs/', () => {
    const offenders: string[] = [];
    for (const top of SCANNED) {
      for (const file of files(join(ROOT, top))) {
        if (file === __filename.replace(/\/build\//, '/').replace(/\.js$/, '.ts')) continue;
        const text = readFileSync(file, 'utf8');
        text.split('\n').forEach((line, i) => {
          if (OUTSIDE.test(line) && !line.includes('OUTSIDE')) offenders.push(`${relative(ROOT, file)}:${i + 1}`);
        });
      }
    }
    assert.deepEqual(offenders, []);
  });
});
