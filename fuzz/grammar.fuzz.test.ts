import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseRequest } from '../src/request/index.js';
import { fuzzParameters, hostileText } from './_budget.js';

it('fuzz grammar: never throws; refusals are bad_request with a column inside the input; accepted requests are well-formed', () => {
  fc.assert(
    fc.property(hostileText(40), (input) => {
      const result = parseRequest(input, 1024);
      if (!result.ok) {
        assert.equal(result.error.code, 'bad_request');
        if (result.error.column !== undefined) assert.ok(result.error.column >= 1 && result.error.column <= [...input].length);
        return;
      }
      const request = result.value;
      assert.match(request.domain, /^[a-z][a-z0-9_-]{0,63}$/);
      assert.ok(input.includes(request.commandText));
      assert.ok(request.args.length <= 32);
      for (const arg of request.args) {
        assert.match(arg.key, /^[a-z][a-z0-9_-]{0,63}$/);
        assert.ok(!/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\ufffd]|\p{Cf}|\p{Cs}/u.test(arg.value), 'a refused character survived');
      }
    }),
    fuzzParameters('grammar', 3000),
  );
});
