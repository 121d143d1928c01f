import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..', '..');
// An ID counts only where it opens a string, as in a test name or a row: `'INJ-001'`,
// `'OUT-011 masks…'`, `` `CFG-021 …` ``. A mention in a comment does not make a test.
const ID = /(?<=['"`])(?:INJ|AUTH|CFG|POL|EXE|OUT|REL|SES|SIG|RAW|AUDIT|MCP)-\d{3}(?=['"` ])/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.startsWith('catalog.') ? [path] : [];
  });
}

describe('attack catalog consistency', () => {
  const catalog = readFileSync(join(REPO, 'test', 'attacks', 'CATALOG.md'), 'utf8');
  const catalogIds = new Set([...catalog.matchAll(/^\| ((?:INJ|AUTH|CFG|POL|EXE|OUT|REL|SES|SIG|RAW|AUDIT|MCP)-\d{3}) \|/gm)].map((m) => m[1] as string));
  const testNames = new Map<string, string>();
  for (const file of ['test', 'e2e', 'src', 'fuzz'].flatMap((dir) => sourceFiles(join(REPO, dir)))) {
    for (const match of readFileSync(file, 'utf8').matchAll(ID)) testNames.set(match[0], file);
  }

  it('has at least 80 entries, each ID listed once', () => {
    const rows = [...catalog.matchAll(/^\| ((?:INJ|AUTH|CFG|POL|EXE|OUT|REL|SES|SIG|RAW|AUDIT|MCP)-\d{3}) \|/gm)].length;
    assert.equal(rows, catalogIds.size, 'an ID is listed twice');
    assert.ok(catalogIds.size >= 80, `only ${catalogIds.size} entries`);
  });

  it('every catalog ID is named by a test', () => {
    const missing = [...catalogIds].filter((id) => !testNames.has(id));
    assert.deepEqual(missing, [], `catalog IDs without a test: ${missing.join(' ')}`);
  });

  it('every ID a test names is in the catalog', () => {
    const unknown = [...testNames.keys()].filter((id) => !catalogIds.has(id));
    assert.deepEqual(unknown, [], `tests name IDs the catalog lacks: ${unknown.map((id) => `${id} (${testNames.get(id)})`).join(', ')}`);
  });

  it('every catalog row gives an attack, an input, an expected outcome and an exit status', () => {
    for (const line of catalog.split('\n').filter((l) => /^\| [A-Z]+-\d{3} \|/.test(l))) {
      const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim());
      assert.equal(cells.length, 6, `malformed row: ${line}`);
      for (const [index, cell] of cells.slice(0, 5).entries()) assert.notEqual(cell, '', `empty cell ${index} in ${line}`);
    }
  });
});
