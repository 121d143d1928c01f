import { fail, ok, type Result } from '../errors.js';
import { forbiddenCharacterReason, isBareCharacter, isWhitespace } from './_chars.js';

/** One word of a request: its unquoted text and where it stands in the raw request. */
export interface Word {
  readonly text: string;
  /** UTF-16 offsets into the request: [start, end). */
  readonly start: number;
  readonly end: number;
  /** 1-based code-point column of the word's first character. */
  readonly column: number;
}

const enum State {
  Between,
  Bare,
  SingleQuoted,
  DoubleQuoted,
}

const SHELL_HINT = 'this is not a shell, there is no ; | & $';

/**
 * Splits a request into words with one forward cursor. Every character is classified as
 * it is consumed, so nothing outside the allowlist survives to a later stage.
 */
export function lexWords(request: string): Result<Word[]> {
  const words: Word[] = [];
  let state = State.Between;
  let text = '';
  let wordStart = 0;
  let wordColumn = 0;
  let quoteColumn = 0;
  let column = 0;
  let i = 0;

  const endWord = (end: number): void => {
    words.push({ text, start: wordStart, end, column: wordColumn });
    text = '';
  };

  while (i < request.length) {
    // INVARIANT: i < length, so codePointAt returns a number.
    const cp = request.codePointAt(i) as number;
    const width = cp > 0xffff ? 2 : 1;
    column += 1;
    const forbidden = forbiddenCharacterReason(cp);
    if (forbidden !== null) {
      return fail('bad_request', `${forbidden} at column ${column} is not allowed`, { column });
    }
    const ch = String.fromCodePoint(cp);

    if (state === State.SingleQuoted) {
      if (ch === "'") state = State.Bare;
      else text += ch;
    } else if (state === State.DoubleQuoted) {
      if (ch === '"') {
        state = State.Bare;
      } else if (ch === '\\') {
        const next = request[i + 1];
        if (next !== '"' && next !== '\\') {
          return fail('bad_request', `backslash at column ${column} may only escape " or \\ inside double quotes`, {
            column,
            hint: 'use single quotes for text with backslashes',
          });
        }
        text += next;
        i += 1;
        column += 1;
      } else {
        text += ch;
      }
    } else if (isWhitespace(cp)) {
      if (state === State.Bare) endWord(i);
      state = State.Between;
    } else {
      if (state === State.Between) {
        state = State.Bare;
        wordStart = i;
        wordColumn = column;
      }
      if (ch === "'" || ch === '"') {
        state = ch === "'" ? State.SingleQuoted : State.DoubleQuoted;
        quoteColumn = column;
      } else if (isBareCharacter(cp)) {
        text += ch;
      } else {
        return fail('bad_request', `'${ch}' at column ${column} must be quoted: ${SHELL_HINT}`, {
          column,
          hint: 'put values with special characters in single quotes',
        });
      }
    }
    i += width;
  }

  if (state === State.SingleQuoted || state === State.DoubleQuoted) {
    return fail('bad_request', `quote opened at column ${quoteColumn} is not closed`, { column: quoteColumn });
  }
  if (state === State.Bare) endWord(i);
  return ok(words);
}
