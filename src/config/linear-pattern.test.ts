import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LinearPattern, MAX_PATTERN_STATES } from './linear-pattern.js';

function compiled(source: string): LinearPattern {
  const result = LinearPattern.compile(source);
  if ('error' in result) throw new Error(`${source}: ${result.error}`);
  return result.pattern;
}

/** What V8's backtracking engine answers, whole-value, with the u flag: the meaning to keep. */
function reference(source: string, value: string): boolean {
  return new RegExp(`^(?:${source})$`, 'u').test(value);
}

describe('linear patterns', () => {
  it('keeps ECMAScript meaning for classes, escapes, Unicode, anchors and repetitions', () => {
    const cases: Array<[string, string[]]> = [
      ['[a-z0-9.-]+', ['ok.example', 'evil host', '', 'a-b']],
      ['a|b|', ['a', 'b', '', 'ab']],
      ['(a*)*b', ['aaab', 'b', 'aaa']],
      ['\\bfoo\\b|x\\B', ['foo', 'x', 'foox']],
      ['a{2,3}|b{2}|c{1,}', ['a', 'aa', 'aaa', 'aaaa', 'bb', 'b', 'c', 'ccc', '']],
      ['\\p{L}+\\P{L}', ['héllo1', 'abc', '日本!']],
      ['.', ['😀', 'a', '\n', '\u2028', 'ab']],
      ['\\uD83D\\uDE00|\\u{1F601}|[😂]', ['😀', '😁', '😂', '\ud83d']],
      ['[^\\]]+', ['abc', 'a]']],
      ['(?<name>ab)+(?:cd)?', ['abab', 'ababcd', 'aba']],
      ['^a$|^b', ['a', 'b', 'ab']],
      ['a^b', ['ab']],
      ['\\d{3}-\\d{4}', ['555-1234', '55-1234', '٥٥٥-1234']],
      ['[\\d-]+\\s\\w\\W', ['1-2 a!', '1-2 a_']],
      ['\\x41\\cJ\\t\\0', ['A\n\t\0']],
      ['a+?b*?', ['aab', 'b']],
    ];
    for (const [source, values] of cases) {
      const pattern = compiled(source);
      for (const value of values) assert.equal(pattern.test(value), reference(source, value), `${source} on ${JSON.stringify(value)}`);
    }
  });

  it('refuses backreferences, lookaround and group modifiers', () => {
    for (const source of ['(a)\\1', '(?<x>a)\\k<x>', '(?=a)a', '(?!a)b', '(?<=a)b', '(?<!a)b', '(?i:a)']) {
      assert.ok('error' in LinearPattern.compile(source), source);
    }
  });

  it('refuses what V8 refuses with the u flag, and what the wrapper would have let through', () => {
    for (const source of ['[', 'a{', '\\-', 'a)|(b', '(?<n>a)(?<n>b)']) assert.ok('error' in LinearPattern.compile(source), source);
  });

  it('refuses a pattern with more states than it may hold, however they come', () => {
    assert.ok('error' in LinearPattern.compile(`a{${MAX_PATTERN_STATES + 1}}`));
    assert.ok('error' in LinearPattern.compile('(a{100}){100}'));
    assert.ok('error' in LinearPattern.compile('(((a{20}){20}){20})'));
    assert.ok(!('error' in LinearPattern.compile('a{1,1000}')));
  });

  it('matches the pattern of issue 5 against long hostile values without backtracking', () => {
    // Not a timing assertion: a backtracking engine would not return from these at all.
    const pattern = compiled('([a-z0-9]+-?)+');
    assert.equal(pattern.test(`${'a'.repeat(4095)}!`), false);
    assert.equal(pattern.test(`${'a1-'.repeat(1365)}a`), true);
  });

  it('a compiled form\'s pattern that cannot run linearly throws on use, never matches', () => {
    assert.throws(() => LinearPattern.fromValidated('(a)\\1').test('aa'));
  });

  it('POL-048 accepts exactly the values V8\'s u-mode RegExp accepts, for random patterns', () => {
    const atom = fc.constantFrom('a', 'b', '.', '[ab]', '[^a]', '\\d', '\\w', '-', '😀', '\\u{1F600}', '[a-c😀]', '\\s', '^', '$', '\\b', '\\B');
    const pattern: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        atom,
        fc.tuple(tie('node'), tie('node')).map(([x, y]) => `${x}${y}`),
        fc.tuple(tie('node'), tie('node')).map(([x, y]) => `(?:${x}|${y})`),
        fc.tuple(tie('node'), fc.constantFrom('*', '+', '?', '{2}', '{0,2}', '{1,}', '*?', '{1,3}?')).map(([x, q]) => `(${x})${q}`),
      ),
    })).node;
    const value = fc.array(fc.constantFrom('a', 'b', 'c', '1', '-', ' ', '😀', '_', '\n'), { maxLength: 8 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(pattern, fc.array(value, { minLength: 1, maxLength: 8 }), (source, values) => {
        const result = LinearPattern.compile(source);
        if ('error' in result) return;
        for (const v of values) assert.equal(result.pattern.test(v), reference(source, v), `${source} on ${JSON.stringify(v)}`);
      }),
      { numRuns: 2000 },
    );
  });
});
