import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { helpAnswerSchema } from './_help-answer.js';
import { toolName } from './tool-names.js';
import { buildTools } from './tools.js';
import { requestText } from './request-text.js';
import { parseRequest } from '../request/index.js';

const action = (name: string, extra: Record<string, unknown> = {}) => ({ name, description: `Do ${name}`, level: 'read', args: [], ...extra });
const help = (domains: Array<{ name: string; actions: unknown[] }>) => helpAnswerSchema.parse({ ok: true, domains });

describe('tools from help', () => {
  it('names are <domain>_<action>, or <alias>_<domain>_<action> for several hosts', () => {
    assert.equal(toolName(null, 'app', 'deploy'), 'app_deploy');
    assert.equal(toolName('web-01', 'app', 'deploy'), 'web-01_app_deploy');
  });

  it('a name over 64 characters is cut and suffixed with 6 hex of its SHA-256; two long names stay apart', () => {
    const a = toolName('h', 'd'.repeat(40), `${'a'.repeat(40)}1`);
    const b = toolName('h', 'd'.repeat(40), `${'a'.repeat(40)}2`);
    assert.equal(a.length, 64);
    assert.match(a, /_[0-9a-f]{6}$/);
    assert.notEqual(a, b);
  });

  it('MCP-002 two actions that would get one tool name are an error, not a silent shadow', () => {
    const built = buildTools([{ alias: 'h', plain: help([{ name: 'a_b', actions: [action('c')] }, { name: 'a', actions: [action('b_c')] }]), raised: null }], false);
    assert.ok('error' in built);
    assert.match(built.error, /a_b_c/);
  });

  it('raw actions, arguments of an unknown type or with a name outside the grammar are left out; effects map to annotations', () => {
    const built = buildTools([{
      alias: 'h',
      plain: help([{ name: 'app', actions: [
        action('dump', { output: 'raw' }),
        action('future', { args: [{ name: 'x', type: 'ipv6', required: true }] }),
        action('odd', { args: [{ name: '__proto__', type: 'string', required: true }] }),
        action('wipe', { level: 'ops', effects: 'destructive', idempotent: true }),
        action('edit', { level: 'ops', effects: 'write' }),
        action('look', { examples: ['app look n=3 name="a b"'], args: [{ name: 'n', type: 'int', required: true }, { name: 'name', type: 'string', required: false }] }),
      ] }]),
      raised: null,
    }], false);
    assert.ok('tools' in built);
    assert.deepEqual(built.tools.map((t) => t.name), ['app_wipe', 'app_edit', 'app_look']);
    const [wipe, edit, look] = built.tools;
    assert.deepEqual([wipe!.annotations.readOnlyHint, wipe!.annotations.destructiveHint, wipe!.annotations.idempotentHint], [false, true, true]);
    assert.deepEqual([edit!.annotations.readOnlyHint, edit!.annotations.destructiveHint], [false, false]);
    assert.deepEqual([look!.annotations.readOnlyHint, look!.annotations.openWorldHint], [true, false]);
    assert.match(look!.description, /level read/);
    assert.match(look!.description, /Example: \{"n":3,"name":"a b"\}/);
    assert.deepEqual(look!.inputSchema.required, ['n']);
    assert.equal(look!.inputSchema.additionalProperties, false);
  });

  it('an action seen only with the proof is signed on each call; a stdin action gets _stdin', () => {
    const plain = help([{ name: 'app', actions: [action('look')] }]);
    const raised = help([{ name: 'app', actions: [action('look'), action('load', { level: 'admin', stdin: { max_bytes: 10 } })] }]);
    const built = buildTools([{ alias: 'h', plain, raised }], false);
    assert.ok('tools' in built);
    assert.deepEqual(built.tools.map((t) => [t.name, t.needsProof, t.stdin]), [['app_look', false, false], ['app_load', true, true]]);
    assert.ok('_stdin' in (built.tools[1]!.inputSchema.properties as object));
  });

  it('the request text quotes every text value so the grammar reads it back unchanged', () => {
    const text = requestText('t', 'echo', { msg: "it's \"x\" ; rm -rf /", n: -0, b: false, _stdin: 'ignored' });
    const parsed = parseRequest(text, 8192);
    assert.ok(parsed.ok && parsed.value.builtin === null);
    assert.deepEqual(parsed.value.args.map((a) => [a.key, a.value]), [['msg', "it's \"x\" ; rm -rf /"], ['n', '0'], ['b', 'false']]);
  });
});
