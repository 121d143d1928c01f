/**
 * A `string` argument's pattern, matched against the whole value in time linear in the
 * value's length, whatever the pattern (docs/config.md "Arguments", ADR 0013).
 *
 * V8's backtracking engine takes exponential time on patterns like `([a-z0-9]+-?)+`, and
 * its linear engine refuses the `u` flag on Node 20. So the pattern's structure (groups,
 * alternation, quantifiers, anchors) becomes an automaton that is simulated one code point
 * at a time (Thompson), and each atom (a literal, `.`, an escape or a class, which match
 * exactly one code point) is tested by V8 itself with the `u` flag on that one code point,
 * which keeps ECMAScript's meaning of every class and escape. Backreferences and lookaround
 * have no such automaton: they are config errors.
 */

/** States in one automaton; `{n,m}` copies its operand, so this bounds memory and per-step work. */
export const MAX_PATTERN_STATES = 4096;

type Assertion = 'start' | 'end' | 'boundary' | 'not-boundary';
type Node =
  | { readonly kind: 'atom'; readonly source: string }
  | { readonly kind: 'assert'; readonly what: Assertion }
  | { readonly kind: 'seq'; readonly items: readonly Node[] }
  | { readonly kind: 'alt'; readonly options: readonly Node[] }
  | { readonly kind: 'repeat'; readonly node: Node; readonly min: number; readonly max: number };

type State =
  | { kind: 'match' }
  | { kind: 'atom'; atom: number; out: number }
  | { kind: 'split'; outs: number[] }
  | { kind: 'assert'; what: Assertion; out: number };

interface Automaton {
  readonly states: readonly State[];
  readonly atoms: readonly Atom[];
  readonly start: number;
}

class PatternError extends Error {}

/** One atom: a code point compared directly, or V8's `u`-mode test of a one-code-point string. */
class Atom {
  private regex: RegExp | undefined;
  // A value has few distinct code points: each is tested by V8 once.
  private readonly seen = new Map<number, boolean>();
  constructor(
    private readonly source: string,
    private readonly literal: number | null,
  ) {}

  test(cp: number): boolean {
    if (this.literal !== null) return cp === this.literal;
    let matches = this.seen.get(cp);
    if (matches === undefined) {
      matches = (this.regex ??= new RegExp(`^(?:${this.source})$`, 'u')).test(String.fromCodePoint(cp));
      this.seen.set(cp, matches);
    }
    return matches;
  }
}

export class LinearPattern {
  private automaton: Automaton | undefined;

  private constructor(readonly source: string) {}

  /** Validates a pattern from the operator's config; the error says why it cannot be used. */
  static compile(source: string): { pattern: LinearPattern } | { error: string } {
    try {
      // V8 first, for ECMAScript's full syntax with the u flag; the parser below then only
      // has to understand the structure of a pattern that is known to be valid.
      new RegExp(source, 'u');
    } catch {
      return { error: 'is not a valid regular expression (compiled with the u flag)' };
    }
    // Built once to validate, then left to build on first use like a compiled form's.
    const pattern = new LinearPattern(source);
    try {
      new LinearPattern(source).build();
    } catch (error) {
      if (error instanceof PatternError) return { error: error.message };
      throw error;
    }
    return { pattern };
  }

  /**
   * A pattern that `compile` accepted when the compiled config was written; built on first
   * use, and a failure then throws (the request fails closed as service_unavailable).
   */
  static fromValidated(source: string): LinearPattern {
    return new LinearPattern(source);
  }

  /** Whether the whole value matches. */
  test(value: string): boolean {
    const { states, atoms, start } = this.build();
    const codePoints = Array.from(value, (c) => c.codePointAt(0) as number);
    const marks = new Int32Array(states.length).fill(-1);
    let current: number[] = [];
    addState(states, current, marks, 0, start, codePoints, 0);
    for (let i = 0; i < codePoints.length && current.length > 0; i++) {
      const cp = codePoints[i] as number;
      const next: number[] = [];
      for (const index of current) {
        const state = states[index] as State;
        if (state.kind === 'atom' && (atoms[state.atom] as Atom).test(cp)) addState(states, next, marks, i + 1, state.out, codePoints, i + 1);
      }
      current = next;
    }
    return current.some((index) => (states[index] as State).kind === 'match');
  }

  private build(): Automaton {
    if (this.automaton === undefined) {
      const parser = new Parser(this.source);
      const tree = parser.parseAlternation();
      if (!parser.atEnd()) throw new PatternError('is not a valid regular expression (compiled with the u flag)');
      this.automaton = new Builder().build(tree);
    }
    return this.automaton;
  }
}

/**
 * Adds a state and everything reachable from it without reading a code point. `marks[s]`
 * holds the generation (the position) at which s was last added, so each state is added
 * at most once per step: that is what keeps a step linear in the number of states.
 */
function addState(states: readonly State[], list: number[], marks: Int32Array, generation: number, start: number, codePoints: readonly number[], position: number): void {
  const stack = [start];
  while (stack.length > 0) {
    const index = stack.pop() as number;
    if (marks[index] === generation) continue;
    marks[index] = generation;
    const state = states[index] as State;
    if (state.kind === 'split') stack.push(...state.outs);
    else if (state.kind === 'assert') {
      if (holds(state.what, codePoints, position)) stack.push(state.out);
    } else list.push(index);
  }
}

function holds(what: Assertion, codePoints: readonly number[], position: number): boolean {
  switch (what) {
    case 'start':
      return position === 0;
    case 'end':
      return position === codePoints.length;
    default: {
      const boundary = isWordCharacter(codePoints[position - 1]) !== isWordCharacter(codePoints[position]);
      return what === 'boundary' ? boundary : !boundary;
    }
  }
}

/** `\w` with the u flag and without i: ASCII letters, digits and `_`. */
function isWordCharacter(cp: number | undefined): boolean {
  if (cp === undefined) return false;
  return (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x30 && cp <= 0x39) || cp === 0x5f;
}

/** Builds states backwards: each node is compiled knowing the state that follows it. */
class Builder {
  private readonly states: State[] = [];
  private readonly atoms: Atom[] = [];
  private readonly atomIndex = new Map<string, number>();

  build(tree: Node): Automaton {
    const match = this.push({ kind: 'match' });
    const start = this.node(tree, match);
    return { states: this.states, atoms: this.atoms, start };
  }

  private push(state: State): number {
    if (this.states.length >= MAX_PATTERN_STATES) {
      throw new PatternError(`is too large: more than ${MAX_PATTERN_STATES} states once repetitions are counted`);
    }
    this.states.push(state);
    return this.states.length - 1;
  }

  private node(node: Node, next: number): number {
    switch (node.kind) {
      case 'atom':
        return this.push({ kind: 'atom', atom: this.atom(node.source), out: next });
      case 'assert':
        return this.push({ kind: 'assert', what: node.what, out: next });
      case 'seq': {
        let start = next;
        for (let k = node.items.length - 1; k >= 0; k--) start = this.node(node.items[k] as Node, start);
        return start;
      }
      case 'alt':
        return this.push({ kind: 'split', outs: node.options.map((option) => this.node(option, next)) });
      case 'repeat':
        return this.repeat(node.node, node.min, node.max, next);
    }
  }

  private repeat(body: Node, min: number, max: number, next: number): number {
    let tail = next;
    if (max === Infinity) {
      const loop: State = { kind: 'split', outs: [] };
      tail = this.push(loop);
      loop.outs = [this.node(body, tail), next];
    } else {
      for (let k = min; k < max; k++) {
        const optional: State = { kind: 'split', outs: [] };
        const index = this.push(optional);
        optional.outs = [this.node(body, tail), next];
        tail = index;
      }
    }
    for (let k = 0; k < min; k++) tail = this.node(body, tail);
    return tail;
  }

  private atom(source: string): number {
    let index = this.atomIndex.get(source);
    if (index === undefined) {
      const first = source.codePointAt(0) as number;
      const literal = source !== '.' && source[0] !== '\\' && source[0] !== '[' && String.fromCodePoint(first) === source ? first : null;
      index = this.atoms.push(new Atom(source, literal)) - 1;
      this.atomIndex.set(source, index);
    }
    return index;
  }
}

/** The structure of a pattern V8 has already accepted with the u flag. */
class Parser {
  private at = 0;
  constructor(private readonly source: string) {}

  atEnd(): boolean {
    return this.at >= this.source.length;
  }

  parseAlternation(): Node {
    const options = [this.parseSequence()];
    while (this.peek() === '|') {
      this.at += 1;
      options.push(this.parseSequence());
    }
    return options.length === 1 ? (options[0] as Node) : { kind: 'alt', options };
  }

  private parseSequence(): Node {
    const items: Node[] = [];
    while (!this.atEnd() && this.peek() !== '|' && this.peek() !== ')') {
      const term = this.parseTerm();
      items.push(this.parseQuantifier(term));
    }
    return { kind: 'seq', items };
  }

  private parseTerm(): Node {
    const c = this.peek();
    if (c === '^' || c === '$') {
      this.at += 1;
      return { kind: 'assert', what: c === '^' ? 'start' : 'end' };
    }
    if (c === '(') return this.parseGroup();
    if (c === '[') return { kind: 'atom', source: this.take(this.classEnd()) };
    if (c === '\\') return this.parseEscape();
    const cp = this.source.codePointAt(this.at) as number;
    return { kind: 'atom', source: this.take(this.at + String.fromCodePoint(cp).length) };
  }

  private parseGroup(): Node {
    this.at += 1;
    if (this.peek() === '?') {
      const kind = this.source.slice(this.at, this.at + 3);
      if (kind.startsWith('?:')) this.at += 2;
      else if (kind === '?<=' || kind === '?<!' || kind.startsWith('?=') || kind.startsWith('?!')) {
        throw new PatternError('cannot be matched in linear time: lookahead and lookbehind are not supported');
      } else if (kind.startsWith('?<')) this.at = this.source.indexOf('>', this.at) + 1;
      else throw new PatternError('uses a group modifier that is not supported');
    }
    const inner = this.parseAlternation();
    if (this.peek() !== ')') throw new PatternError('is not a valid regular expression (compiled with the u flag)');
    this.at += 1;
    return inner;
  }

  private parseEscape(): Node {
    const c = this.source[this.at + 1];
    if (c === 'b' || c === 'B') {
      this.at += 2;
      return { kind: 'assert', what: c === 'b' ? 'boundary' : 'not-boundary' };
    }
    if (c === 'k' || (c !== undefined && c >= '1' && c <= '9')) {
      throw new PatternError('cannot be matched in linear time: backreferences are not supported');
    }
    return { kind: 'atom', source: this.take(this.escapeEnd(this.at)) };
  }

  /** The end of the escape starting at `start` (a backslash). */
  private escapeEnd(start: number): number {
    const c = this.source[start + 1];
    if ((c === 'p' || c === 'P') && this.source[start + 2] === '{') return this.source.indexOf('}', start) + 1;
    if (c === 'u' && this.source[start + 2] === '{') return this.source.indexOf('}', start) + 1;
    if (c === 'u') {
      const unit = parseInt(this.source.slice(start + 2, start + 6), 16);
      // A \uHIGH\uLOW pair is one code point with the u flag, so one atom.
      if (unit >= 0xd800 && unit <= 0xdbff && /^\\u[dD][c-fC-F][0-9a-fA-F]{2}/.test(this.source.slice(start + 6, start + 12))) return start + 12;
      return start + 6;
    }
    if (c === 'x') return start + 4;
    if (c === 'c') return start + 3;
    const cp = this.source.codePointAt(start + 1) as number;
    return start + 1 + String.fromCodePoint(cp).length;
  }

  /** The end of the class that starts here: the first `]` that is not escaped. */
  private classEnd(): number {
    let i = this.at + 1;
    while (i < this.source.length && this.source[i] !== ']') i = this.source[i] === '\\' ? this.escapeEnd(i) : i + 1;
    return i + 1;
  }

  private parseQuantifier(term: Node): Node {
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === '*' || c === '+' || c === '?') {
      this.at += 1;
      [min, max] = c === '*' ? [0, Infinity] : c === '+' ? [1, Infinity] : [0, 1];
    } else if (c === '{') {
      const bounds = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.at));
      if (bounds === null) return term;
      this.at += bounds[0].length;
      min = Number(bounds[1]);
      max = bounds[2] === undefined ? min : bounds[3] === '' ? Infinity : Number(bounds[3]);
      if (min > MAX_PATTERN_STATES || max !== Infinity && max > MAX_PATTERN_STATES) {
        throw new PatternError(`is too large: more than ${MAX_PATTERN_STATES} states once repetitions are counted`);
      }
    } else {
      return term;
    }
    // Lazy or greedy: the same set of whole-value matches.
    if (this.peek() === '?') this.at += 1;
    return { kind: 'repeat', node: term, min, max };
  }

  private peek(): string | undefined {
    return this.source[this.at];
  }

  private take(end: number): string {
    const text = this.source.slice(this.at, end);
    this.at = end;
    return text;
  }
}
