import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseRequest, quoteValue, maskProofInRawRequest, type ParsedRequest } from './index.js';

const MAX = 8192;

function accept(request: string): ParsedRequest {
  const result = parseRequest(request, MAX);
  if (!result.ok) assert.fail(`expected ${JSON.stringify(request)} to parse, got ${result.error.message}`);
  return result.value;
}

function reject(request: string, column?: number): void {
  const result = parseRequest(request, MAX);
  assert.equal(result.ok, false, `expected ${JSON.stringify(request)} to be refused`);
  if (result.ok) return;
  assert.equal(result.error.code, 'bad_request');
  if (column !== undefined) assert.equal(result.error.column, column, `column for ${JSON.stringify(request)}`);
}

describe('parseRequest: unquoted shell metacharacters are refused with their column', () => {
  // A lone quote is refused too: as an unterminated quote, at its own column.
  for (const ch of [';', '|', '&', '$', '`', '(', ')', '<', '>', '*', '?', '[', ']', '{', '}', '!', '\\', "'", '"']) {
    it(`refuses bare ${JSON.stringify(ch)}`, () => reject(`app run x=a${ch}b`, 12));
  }
});

describe('parseRequest: quoting forms', () => {
  it('single quotes are literal, backslashes included', () => {
    assert.deepEqual(accept("app run msg='a;b|c $x \\n'").args[0], { key: 'msg', value: 'a;b|c $x \\n', column: 9, start: 8, end: 25 });
  });
  it('double quotes unescape \\" and \\\\ only', () => {
    assert.equal(accept('app run msg="say \\"hi\\" \\\\o/"').args[0]?.value, 'say "hi" \\o/');
  });
  it('refuses any other backslash sequence inside double quotes, at the backslash', () => reject('app run m="a\\nb"', 13));
  it('concatenates adjacent segments into one word', () => {
    assert.equal(accept(`app run m=a'b c'"d"e`).args[0]?.value, 'ab cde');
  });
  it('allows an empty quoted value', () => assert.equal(accept("app run m=''").args[0]?.value, ''));
  it('allows an empty bare value', () => assert.equal(accept('app run m=').args[0]?.value, ''));
  it('reports an unterminated single quote at the opening quote', () => reject("app run m='abc", 11));
  it('reports an unterminated double quote at the opening quote', () => reject('app run m="abc \\"', 11));
  it('a quoted domain is still an identifier', () => assert.equal(accept("'app' run").domain, 'app'));
  it('splits key=value at the first = of the unquoted text', () => {
    assert.deepEqual(accept("app run 'k=v=w'").args[0], { key: 'k', value: 'v=w', column: 9, start: 8, end: 15 });
  });
});

describe('parseRequest: characters refused anywhere, even inside quotes', () => {
  const cases: Array<[string, string, number]> = [
    ['newline (Ctrl-V Ctrl-J)', "app run m='a\nb'", 13],
    ['carriage return', 'app run m=a\rb', 12],
    ['NUL', 'app run m=a\u0000', 12],
    ['escape', "app run m='\u001b[31m'", 12],
    ['DEL', 'app run m=a\u007f', 12],
    ['C1 control NEL', 'app run m=a\u0085', 12],
    ['zero-width space', 'app run m=a\u200bb', 12],
    ['right-to-left override', "app run m='\u202e'", 12],
    ['byte-order mark', '\ufeffapp run', 1],
    ['replacement character (invalid UTF-8)', 'app run m=\ufffd', 11],
    ['lone high surrogate', 'app run m=\ud800', 11],
    ['lone low surrogate', "app run m='\udc00'", 12],
  ];
  for (const [name, request, column] of cases) it(`refuses ${name}`, () => reject(request, column));
  it('accepts TAB as whitespace', () => assert.equal(accept('app\trun\tk=v').args.length, 1));
  it('counts columns in code points, not UTF-16 units', () => reject("app run m='\u{1F600}';", 14));
  it('accepts non-ASCII letters and digits bare', () => assert.equal(accept('app run m=café٣').args[0]?.value, 'café٣'));
  it('accepts emoji only when quoted', () => {
    assert.equal(accept("app run m='\u{1F600}'").args[0]?.value, '\u{1F600}');
    reject('app run m=\u{1F600}', 11);
  });
});

describe('parseRequest: length cap', () => {
  it('accepts a request of exactly the limit', () => {
    const request = `app run m=${'a'.repeat(256 - 10)}`;
    assert.equal(parseRequest(request, 256).ok, true);
  });
  it('refuses one byte more, counting UTF-8 bytes', () => {
    const result = parseRequest(`app run m=${'é'.repeat(124)}`, 256);
    assert.ok(!result.ok && result.error.code === 'bad_request' && result.error.column === 134);
  });
});

describe('parseRequest: structure', () => {
  it('reads domain, action and arguments in order', () => {
    const parsed = accept('  infra   disk  mount=/var  verbose=true ');
    assert.equal(parsed.domain, 'infra');
    assert.equal(parsed.action, 'disk');
    assert.deepEqual(
      parsed.args.map((a) => [a.key, a.value]),
      [['mount', '/var'], ['verbose', 'true']],
    );
  });
  it('refuses an empty request with the no-command hint', () => {
    const result = parseRequest('  \t ', MAX);
    assert.ok(!result.ok && result.error.code === 'bad_request' && result.error.hint?.includes('help'));
  });
  it('refuses a domain with no action', () => reject('infra', undefined));
  it('refuses a domain that is not an identifier', () => reject('Infra disk', 1));
  it('refuses an action that is not an identifier', () => reject('infra 9disk', 7));
  it('refuses an action longer than 64 characters', () => reject(`infra a${'b'.repeat(64)}`, 7));
  it('accepts a 64-character action', () => assert.equal(accept(`infra a${'b'.repeat(63)}`).action?.length, 64));
  it('refuses a positional word after the action', () => reject('infra disk /var', 12));
  it('refuses an argument name that is not an identifier', () => reject('infra disk Mount=/var', 12));
  it('refuses an empty argument name', () => reject('infra disk =x', 12));
  it('keeps duplicate keys in order for policy to refuse', () => {
    assert.deepEqual(accept('app run a=1 a=2').args.map((a) => a.value), ['1', '2']);
  });
  it('accepts 32 arguments', () => {
    const args = Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(' ');
    assert.equal(accept(`app run ${args}`).args.length, 32);
  });
  it('refuses 33 arguments at the 33rd', () => {
    const args = Array.from({ length: 33 }, (_, i) => `k${i}=v`);
    const request = `app run ${args.join(' ')}`;
    reject(request, request.lastIndexOf('k32') + 1);
  });
});

describe('parseRequest: proof fields', () => {
  const proof = '+token=bot +ts=1700000000 +nonce=00112233445566778899aabbccddeeff +proof=' + 'a'.repeat(64);
  it('reads leading +fields and leaves them out of the command text', () => {
    const parsed = accept(`${proof} app deploy channel=stable`);
    assert.deepEqual({ ...parsed.proofFields }, {
      token: 'bot',
      ts: '1700000000',
      nonce: '00112233445566778899aabbccddeeff',
      proof: 'a'.repeat(64),
    });
    assert.equal(parsed.commandText, 'app deploy channel=stable');
  });
  it('accepts the fields in any order', () => {
    assert.equal(accept(`+proof=ab +nonce=cd +ts=1 +token=x app run`).proofFields?.token, 'x');
  });
  it('returns null proof fields when there are none', () => assert.equal(accept('app run').proofFields, null));
  it('refuses an unknown +field', () => reject('+user=root app run', 1));
  it('refuses a +field without =', () => reject('+token app run', 1));
  it('refuses a repeated +field', () => reject('+token=a +token=b app run', 10));
  it('refuses a +field after the domain', () => reject('app +token=a run', 5));
  it('refuses a +field after the action', () => reject('app run +token=a', 9));
  it('refuses proof fields with no command', () => reject('+token=a', undefined));
  it('accepts proof fields before a built-in', () => assert.equal(accept('+token=a whoami').builtin?.name, 'whoami'));
  it('a __proto__ field name is unknown, not an object key', () => reject('+__proto__=x app run', 1));
  it('accepts the signature fields, a base64 +sig with + / and = padding needing no quotes', () => {
    const sig = 'U1NIU0lHAAAAAQ+/x/y+z==';
    const parsed = accept(`+signer=release +ts=1700000000 +nonce=00112233445566778899aabbccddeeff +sig=${sig} app run`);
    assert.deepEqual({ ...parsed.proofFields }, { signer: 'release', ts: '1700000000', nonce: '00112233445566778899aabbccddeeff', sig });
  });
  it('refuses a repeated +sig', () => reject('+sig=a +sig=b app run', 8));
});

describe('parseRequest: built-ins', () => {
  it('help alone', () => assert.deepEqual(accept('help').builtin, { name: 'help', domain: null, action: null }));
  it('help domain action', () => assert.deepEqual(accept('help infra disk').builtin, { name: 'help', domain: 'infra', action: 'disk' }));
  it('help refuses a third word', () => reject('help infra disk extra', 17));
  it('help refuses key=value', () => reject('help infra x=1', 12));
  it('list refuses any word', () => reject('list all', 6));
  it('whoami refuses key=value', () => reject('whoami x=1', 8));
  it('help refuses a name that is not an identifier', () => reject('help Infra', 6));
});

describe('parseRequest: command text', () => {
  it('is the exact substring from the domain to the end, trailing whitespace removed', () => {
    const parsed = accept(" \t+token=x   app  run  m='a  b'\t k=\"v\"  \t");
    assert.equal(parsed.commandText, `app  run  m='a  b'\t k="v"`);
  });
  it('keeps the quoting as the client wrote it', () => assert.equal(accept(`app run m="x"'y'`).commandText, `app run m="x"'y'`));
});

describe('parseRequest: properties', () => {
  it('never throws, and refusals carry a column inside the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (input) => {
        const result = parseRequest(input, 512);
        if (!result.ok) {
          assert.equal(result.error.code, 'bad_request');
          const column = result.error.column;
          if (column !== undefined) {
            assert.ok(column >= 1 && column <= [...input].length, `column ${column} inside ${JSON.stringify(input)}`);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips any quotable value through quoteValue', () => {
    const quotable = fc.string({ unit: 'grapheme', maxLength: 60 }).filter((s) => !/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\ufffd\u2028\u2029]|\p{Cf}|\p{Cs}/u.test(s));
    fc.assert(
      fc.property(quotable, (value) => {
        const parsed = accept(`app run v=${quoteValue(value)}`);
        assert.equal(parsed.args[0]?.value, value);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('maskProofInRawRequest', () => {
  it('masks every +proof= value, quoted or not, case-insensitively', () => {
    assert.equal(maskProofInRawRequest("+proof=abc +PROOF='d e' app ;"), "+proof=*** +proof=*** e' app ;");
  });
  it('masks every +sig= value, and a long base64 run whose field name quoting hid', () => {
    const sig = `U1NIU0lH${'Ab+/'.repeat(20)}==`;
    assert.equal(maskProofInRawRequest(`+sig=${sig} app ;`), '+sig=*** app ;');
    assert.equal(maskProofInRawRequest(`'+sig'=${sig} app ;`), "'+sig'=*** app ;");
    assert.equal(maskProofInRawRequest('app echo msg=short/base64+text ;'), 'app echo msg=short/base64+text ;');
  });
});
