import { nodeCrypto } from './builtins.js';
import type { Readable } from 'node:stream';
import { readCallerIdentity } from './auth/index.js';
import { loadCold } from './cold-loader.js';
import { openCompiledConfig, resolveConfigPath, withIgnoredCompiledForm, type LoadResult } from './config/index.js';
import { serviceUnavailable } from './errors.js';
import { Exchange, unauditedAnswer, type Answer, type ExchangeIO, type Service } from './exchange.js';
import { applyForcedLine, type Invocation, type ServeOptions } from './invocation/index.js';
import { AuditLog, responseLinePieces } from './output/index.js';
import { serveSession, type SessionChannel } from './serve-session.js';

/** Everything the serve path needs from the process; main.ts is the only file that builds it. */
export interface ServeIO extends ExchangeIO {
  /** Read only by actions that declare stdin: creating the stream costs milliseconds. */
  readonly stdin: () => Readable;
  writeStdout(text: string): void;
  writeStderr(text: string): void;
  /** Writes the answer of a raw action, the one line on stderr (docs/protocol.md §13). */
  writeStderrAnswer(text: string): void;
  /** The connection as a session's line channel; asked for only when a session starts (docs/protocol.md §12). */
  openSession(): SessionChannel;
}

/**
 * Serves one request (docs/protocol.md §2–§8) and returns the exit status. Opens the
 * service once (config, audit log), lets an Exchange answer, and writes that answer: the
 * only process output of the serve path besides main.ts's last resort.
 */
export async function serve(invocation: Extract<Invocation, { mode: 'serve' | 'bad-options' }>, io: ServeIO): Promise<number> {
  const requestId = nodeCrypto().randomUUID();
  // Failures before the audit log is open cannot be audited (ADR 0002): syslog has them.
  if (invocation.mode === 'bad-options') {
    return writeAnswer(io, unauditedAnswer(io, requestId, `options: ${invocation.detail}`, invocation.diagnostic, 'not chosen (bad options)'));
  }
  const { options, request } = invocation;
  // The config named before -c decides whether the -c line is trusted (docs/protocol.md §2.1).
  const opened = openService(io, requestId, options);
  if ('refusal' in opened) return writeAnswer(io, opened.refusal);
  let service = opened.service;
  const forced = applyForcedLine(options, invocation.forcedLine, service.config.server.forcedLine === true);
  if (!forced.ok) {
    const untrusted = { ...service, options: { ...options, diagnostic: forced.diagnostic } };
    const answer = new Exchange(requestId, untrusted, io).refuseInvocation(request, serviceUnavailable(forced.detail).error);
    service.log.close();
    return writeAnswer(io, answer);
  }
  if (resolveConfigPath(forced.options.config, io.env) !== service.configPath) {
    // Trusted now: the forced line's --config names the config that serves the request.
    service.log.close();
    const next = openService(io, requestId, forced.options);
    if ('refusal' in next) return writeAnswer(io, next.refusal);
    service = next.service;
  } else {
    service = { ...service, options: forced.options };
  }
  try {
    const exchange = new Exchange(requestId, service, io);
    const answer = await exchange.run(request, { kind: 'stream', open: io.stdin });
    if (answer.startsSession === true) return await serveSession(service, exchange, answer, io, io.openSession());
    return writeAnswer(io, answer);
  } finally {
    service.log.close();
  }
}

/** The config and its audit log for these options, or the refusal to answer. */
export function openService(io: ExchangeIO, requestId: string, options: ServeOptions): { service: Service } | { refusal: Answer } {
  const configPath = resolveConfigPath(options.config, io.env);
  const loaded = loadServingConfig(configPath);
  if (!loaded.ok) {
    const detail = `config: ${loaded.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`;
    return { refusal: unauditedAnswer(io, requestId, detail, options.diagnostic, configPath) };
  }
  const { auditLog, auditChain, stateDir } = loaded.config.server;
  const chain = auditChain.enabled ? { stateDir, lockTool: auditChain.lockTool, lockTimeout: auditChain.lockTimeout } : null;
  const opened = AuditLog.open(auditLog, chain, io.user);
  if ('error' in opened) return { refusal: unauditedAnswer(io, requestId, opened.error, options.diagnostic, configPath) };
  return { service: { config: loaded.config, log: opened.log, options, configPath, caller: readCallerIdentity(io.env) } };
}

/** The compiled form when it is valid and current, else the full loader (ADR 0009, ADR 0019). */
function loadServingConfig(path: string): LoadResult {
  const compiled = openCompiledConfig(path, (bytes, mode) => loadCold().loadConfigBytes(path, bytes, mode));
  if (compiled.config !== null) return { ok: true, config: compiled.config, warnings: [] };
  const loaded = loadCold().loadConfig(path);
  return compiled.ignored === null ? loaded : withIgnoredCompiledForm(loaded, compiled.ignored);
}

function writeAnswer(io: ServeIO, answer: Answer): number {
  // A raw action's answer is its only stderr line: stdout is the download (docs/protocol.md §13).
  // In pieces: a 64 MiB output is never one string (ADR 0029).
  for (const piece of responseLinePieces(answer.response)) {
    if (answer.onStderr === true) io.writeStderrAnswer(piece);
    else io.writeStdout(piece);
  }
  if (answer.stderr !== null) io.writeStderr(answer.stderr);
  return answer.exit;
}
