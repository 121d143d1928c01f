import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseEnvelope } from './envelope.js';

const parse = (text: string | Buffer) => parseEnvelope(Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'));

describe('parseEnvelope: one session line (docs/protocol.md §12)', () => {
  it('reads id, request, stdin in both encodings and stream', () => {
    assert.deepEqual(parse('{"id":"a.1","request":"infra uptime"}'), { ok: true, value: { id: 'a.1', request: 'infra uptime', stdin: null, stream: false } });
    const utf8 = parse('{"request":"app import","stdin":"théme\\n","stream":true}');
    assert.ok(utf8.ok && utf8.value.stdin?.toString('utf8') === 'théme\n' && utf8.value.stream && utf8.value.id === null);
    const b64 = parse('{"request":"app import","stdin":"AAH/","stdin_encoding":"base64"}');
    assert.ok(b64.ok && b64.value.stdin?.equals(Buffer.from([0, 1, 255])));
  });

  const faults: Array<[string, string | Buffer, string | null]> = [
    ['an empty line', '', null],
    ['CR before LF', '{"request":"list"}\r', null],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), null],
    ['text that is not JSON', 'list', null],
    ['a JSON array', '["list"]', null],
    ['JSON null', 'null', null],
    ['an unknown member, with the id echoed', '{"id":"7","request":"list","sudo":true}', '7'],
    ['a __proto__ member', '{"id":"7","request":"list","__proto__":{}}', '7'],
    ['a missing request', '{"id":"7"}', '7'],
    ['a request that is not a string', '{"id":"7","request":["list"]}', '7'],
    ['an id with a newline', '{"id":"a\\nb","request":"list"}', null],
    ['an id of 65 characters', `{"id":"${'x'.repeat(65)}","request":"list"}`, null],
    ['an empty id', '{"id":"","request":"list"}', null],
    ['a numeric id', '{"id":7,"request":"list"}', null],
    ['stream that is not a boolean', '{"id":"7","request":"list","stream":"yes"}', '7'],
    ['stdin that is not a string', '{"id":"7","request":"app import","stdin":42}', '7'],
    ['an unknown stdin_encoding', '{"id":"7","request":"app import","stdin":"x","stdin_encoding":"hex"}', '7'],
    ['stdin_encoding without stdin', '{"id":"7","request":"list","stdin_encoding":"base64"}', '7'],
    ['base64 that is not canonical', '{"id":"7","request":"app import","stdin":"AA=","stdin_encoding":"base64"}', '7'],
  ];
  for (const [name, line, id] of faults) {
    it(`refuses ${name} as a protocol error${id === null ? '' : ' and echoes the id'}`, () => {
      const result = parse(line);
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.id, id);
    });
  }

  it('round-trips any request text, id and stdin bytes a client can encode (property)', () => {
    const idArb = fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/);
    fc.assert(
      fc.property(fc.option(idArb, { nil: undefined }), fc.string(), fc.uint8Array({ maxLength: 64 }), fc.boolean(), (id, request, stdin, stream) => {
        const line = JSON.stringify({ id, request, stdin: Buffer.from(stdin).toString('base64'), stdin_encoding: 'base64', stream });
        const result = parse(line);
        assert.ok(result.ok);
        assert.equal(result.value.id, id ?? null);
        assert.equal(result.value.request, request);
        assert.ok(result.value.stdin?.equals(Buffer.from(stdin)));
        assert.equal(result.value.stream, stream);
      }),
    );
  });
});
