import { nodeCrypto } from './builtins.js';
import type { Readable } from 'node:stream';
import { authenticate, callerOf, readCallerIdentity, signedCommand } from './auth/index.js';
import { loadCold } from './cold-loader.js';
import { loadCompiledConfig, resolveConfigPath, type ActionConfig, type Config, type LoadResult } from './config/index.js';
import { ERROR_INFO, executedExitStatus, serviceUnavailable, type Failure } from './errors.js';
import { abortedOnceSignalsDelivered, checkStdinHash, readBoundedStdin, runAction, stdinHashWithoutStdin, type AbortWatch, type ExecResult } from './exec/index.js';
import { applyForcedLine, type Invocation, type ServeOptions } from './invocation/index.js';
import { AuditLog, TIMEOUT_FAILURE, capForLog, errorResponse, executedResponse, responseLine, stderrLine, successResponse, type AuditSubject, type Response } from './output/index.js';
import { HELP_OVERVIEW, authorize, describeVisible, listVisible, maxLevel, planExecution, stdinTimeoutHint, teachGrammar, validateArgs, type Caller } from './policy/index.js';
import { NO_COMMAND_HINT, maskProofInRawRequest, parseRequest, type ParsedRequest } from './request/index.js';

/** Everything the serve path needs from the process; main.ts is the only file that builds it. */
export interface ServeIO {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Read only by actions that declare stdin: creating the stream costs milliseconds. */
  readonly stdin: () => Readable;
  readonly user: string;
  readonly pid: number;
  readonly now: () => number;
  /** Aborted on SIGHUP/SIGTERM/SIGINT or when the client is gone. */
  readonly abort: AbortWatch;
  /** Why the client is gone, asked right before a child starts (docs/protocol.md §7.3); absent: never. */
  readonly clientGone?: () => string | null;
  writeStdout(text: string): void;
  writeStderr(text: string): void;
}

/**
 * Serves one request (docs/protocol.md §2–§8) and returns the exit status. Knows the order of the
 * stages; every failure becomes exactly one JSON line, one stderr line and an audit record.
 */
export async function serve(invocation: Extract<Invocation, { mode: 'serve' | 'bad-options' }>, io: ServeIO): Promise<number> {
  const requestId = nodeCrypto().randomUUID();
  // Failures before the audit log is open cannot be audited (ADR 0002).
  if (invocation.mode === 'bad-options') return unavailable(io, requestId, `options: ${invocation.detail}`, invocation.diagnostic);
  const { options, request } = invocation;
  // The config named before -c decides whether the -c line is trusted (docs/protocol.md §2.1).
  const opened = openServing(io, requestId, options);
  if (typeof opened === 'number') return opened;
  const forced = applyForcedLine(options, invocation.forcedLine, opened.config.server.forcedLine === true);
  if (!forced.ok) {
    const session = new RequestSession(requestId, opened.config, { ...options, diagnostic: forced.diagnostic }, opened.log, io);
    return runSession(session, opened.log, () => session.refuseInvocation(request, serviceUnavailable(forced.detail).error));
  }
  let serving = opened;
  // Trusted now: the forced line's --config names the config that serves the request.
  if (resolveConfigPath(forced.options.config, io.env) !== resolveConfigPath(options.config, io.env)) {
    opened.log.close();
    const next = openServing(io, requestId, forced.options);
    if (typeof next === 'number') return next;
    serving = next;
  }
  const session = new RequestSession(requestId, serving.config, forced.options, serving.log, io);
  return runSession(session, serving.log, () => session.run(request));
}

/** The config and its audit log for these options, or the exit status of the refusal. */
function openServing(io: ServeIO, requestId: string, options: ServeOptions): { config: Config; log: AuditLog } | number {
  const loaded = loadServingConfig(resolveConfigPath(options.config, io.env));
  if (!loaded.ok) {
    return unavailable(io, requestId, `config: ${loaded.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, options.diagnostic);
  }
  const opened = AuditLog.open(loaded.config.server.auditLog);
  if ('error' in opened) return unavailable(io, requestId, opened.error, options.diagnostic);
  return { config: loaded.config, log: opened.log };
}

async function runSession(session: RequestSession, log: AuditLog, work: () => number | Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (error) {
    return session.internalError(error);
  } finally {
    log.close();
  }
}

/** The compiled form when it is valid and current, else the full loader (ADR 0009). */
function loadServingConfig(path: string): LoadResult {
  const compiled = loadCompiledConfig(path);
  return compiled !== null ? { ok: true, config: compiled, warnings: [] } : loadCold().loadConfig(path);
}

/** Answers service_unavailable; the detail reaches the client only under --diagnostic. */
function unavailable(io: ServeIO, requestId: string, detail: string, diagnostic: boolean): number {
  const failure = serviceUnavailable(detail).error;
  return answer(io, errorResponse(requestId, failure, {}, diagnostic), failure, diagnostic);
}

function answer(io: ServeIO, response: Response, failure: Failure | null, diagnostic: boolean): number {
  io.writeStdout(responseLine(response));
  if (failure !== null) {
    io.writeStderr(stderrLine(failure, diagnostic));
    return ERROR_INFO[failure.code].exit;
  }
  return 0;
}

/** One request's journey through the stages, with the audit subject it accumulates. */
class RequestSession {
  private readonly subject: AuditSubject;
  private readonly clientAddress: string | null;
  private caller: Caller;
  private decided = false;

  constructor(
    private readonly requestId: string,
    private readonly config: Config,
    private readonly options: ServeOptions,
    private readonly log: AuditLog,
    private readonly io: ServeIO,
  ) {
    const identity = readCallerIdentity(io.env);
    this.clientAddress = identity.clientAddress;
    this.caller = { level: options.level, tags: options.tags };
    this.subject = {
      request_id: requestId,
      pid: io.pid,
      user: io.user,
      identity: options.identity ?? io.user,
      key_level: options.level,
      token: null,
      level: options.level,
      tags: options.tags,
      client: identity.client,
      key: identity.keyFingerprint,
      request: '',
      domain: null,
      action: null,
      args: Object.create(null) as Record<string, string>,
    };
  }

  /**
   * Refuses before the request is served, recording what was asked the way run() would:
   * proof fields removed, and sensitive values masked when the request parses.
   */
  refuseInvocation(rawRequest: string | null, failure: Failure): number {
    if (rawRequest !== null) {
      this.subject.request = capForLog(maskProofInRawRequest(rawRequest));
      const parsed = parseRequest(rawRequest, this.config.server.maxRequestBytes);
      if (parsed.ok) {
        this.maskSensitive(parsed.value);
        if (parsed.value.builtin === null) {
          this.subject.domain = parsed.value.domain;
          this.subject.action = parsed.value.action;
        }
      }
    }
    return this.refuse(failure);
  }

  async run(rawRequest: string | null): Promise<number> {
    if (rawRequest === null) {
      return this.refuse({ code: 'bad_request', message: 'no command given', hint: NO_COMMAND_HINT });
    }
    this.subject.request = capForLog(maskProofInRawRequest(rawRequest));
    const parsed = parseRequest(rawRequest, this.config.server.maxRequestBytes);
    if (!parsed.ok) return this.refuse(teachGrammar(parsed.error, rawRequest, this.config, this.caller));
    const request = parsed.value;
    // SECURITY: mask before any refusal can be logged: a caller refused for its level, tags
    // or proof still must not put a sensitive value into the audit log.
    this.maskSensitive(request);
    if (request.builtin === null) {
      this.subject.domain = request.domain;
      this.subject.action = request.action;
    }

    if (request.proofFields !== null) {
      const requester = { address: this.clientAddress, caller: callerOf(this.subject.key, this.subject.identity) };
      const signed = signedCommand(request.commandText, request.stdinSha256);
      const granted = authenticate(this.config, request.proofFields, signed, requester, this.io.now());
      if (request.proofFields.token !== undefined) this.subject.token = capForLog(request.proofFields.token, 64);
      if (!granted.ok) return this.refuse(granted.error);
      this.caller = {
        level: maxLevel(this.caller.level, granted.value.level),
        tags: [...new Set([...this.caller.tags, ...granted.value.tags])],
      };
      this.subject.level = this.caller.level;
      this.subject.tags = this.caller.tags;
    }
    if (request.builtin !== null) return this.runBuiltin(request);
    return this.runAction(request);
  }

  private runBuiltin(request: ParsedRequest): number {
    // INVARIANT: called only when request.builtin is set.
    const builtin = request.builtin as NonNullable<ParsedRequest['builtin']>;
    if (request.stdinSha256 !== null) return this.refuse(stdinHashWithoutStdin(`the built-in '${builtin.name}'`));
    let fields: Record<string, unknown>;
    if (builtin.name === 'help') {
      const described = describeVisible(this.config, this.caller, builtin.domain, builtin.action);
      if (!described.ok) return this.refuse(described.error);
      fields = builtin.domain === null ? { ...HELP_OVERVIEW, domains: described.value } : { domains: described.value };
    } else if (builtin.name === 'list') {
      fields = { actions: listVisible(this.config, this.caller) };
    } else {
      fields = { identity: this.subject.identity, level: this.caller.level, tags: this.caller.tags, token: this.subject.token, client: this.subject.client };
    }
    if (!this.decide('allow', null)) return this.auditUnavailable();
    return answer(this.io, successResponse(this.requestId, fields), null, false);
  }

  private async runAction(request: ParsedRequest): Promise<number> {
    // INVARIANT: a request without a built-in always has an action (grammar rule).
    const actionName = request.action as string;
    const authorized = authorize(this.config, request.domain, actionName, this.caller);
    if (!authorized.ok) return this.refuse(authorized.error);
    const action = authorized.value;

    const values = validateArgs(action, request.args);
    if (!values.ok) return this.refuse(values.error);
    // The values that will run, defaults included.
    this.subject.args = auditArgs(values.value, (key) => action.args.get(key)?.sensitive === true);

    if (request.stdinSha256 !== null && action.stdin === null) return this.refuse(stdinHashWithoutStdin('this action'));
    const deadline = this.io.now() + action.timeout * 1000;
    let stdin: Buffer | null = null;
    if (action.stdin !== null) {
      const read = await readBoundedStdin(this.io.stdin(), action.stdin.maxBytes, action.timeout * 1000, this.io.abort);
      if (read.kind === 'too-large') {
        return this.refuse({ code: 'input_too_large', message: `stdin is larger than ${action.stdin.maxBytes} bytes` });
      }
      if (read.kind !== 'data') {
        const failure: Failure = read.kind === 'timeout'
          ? { code: 'timeout', message: 'stdin did not reach its end within the timeout', hint: stdinTimeoutHint(action) }
          : { code: 'service_unavailable', message: 'service unavailable', detail: 'aborted while reading stdin' };
        return this.refuse(failure);
      }
      stdin = read.data;
      const mismatch = request.stdinSha256 === null ? null : checkStdinHash(request.stdinSha256, stdin);
      if (mismatch !== null) return this.refuse(mismatch);
    }

    // SECURITY: a stop signal during the checks ends the request before anything runs,
    // with its decision record (docs/protocol.md §7.1).
    if (await abortedOnceSignalsDelivered(this.io.abort)) {
      return this.refuse({ code: 'service_unavailable', message: 'service unavailable', detail: 'aborted by a signal before the action started' });
    }
    if (!this.decide('allow', null)) return this.auditUnavailable();
    const plan = planExecution(action, values.value, this.config.server.env, {
      domain: action.domain,
      action: action.name,
      identity: this.subject.identity,
      requestId: this.requestId,
      level: this.caller.level,
    });
    const result = await runAction({ ...plan, timeoutMs: Math.max(1, deadline - this.io.now()) }, {
      stdin,
      killGraceMs: this.config.server.killGrace * 1000,
      abort: this.io.abort,
      ...(this.io.clientGone !== undefined ? { clientGone: this.io.clientGone } : {}),
    });
    return this.finish(action, result, stdin?.length ?? 0);
  }

  private finish(action: ActionConfig, result: ExecResult, stdinBytes: number): number {
    const error = result.spawnError !== null ? 'exec_failed' : result.aborted ? 'aborted' : result.timedOut ? 'timeout' : null;
    const written = this.log.write('outcome', this.subject, {
      error,
      exit_code: result.exitCode,
      signal: result.signal,
      duration_ms: result.durationMs,
      stdout_bytes: result.stdout.totalBytes,
      stderr_bytes: result.stderr.totalBytes,
      stdin_bytes: stdinBytes,
      stdout_sha256: result.stdout.sha256,
      stderr_sha256: result.stderr.sha256,
      ...(result.spawnError !== null ? { detail: capForLog(result.spawnError, 512) } : {}),
      ...(result.abortDetail !== null ? { detail: capForLog(result.abortDetail, 512) } : {}),
    });
    if (!written) this.io.writeStderr('portcullis: audit outcome record could not be written\n');
    if (result.spawnError !== null) {
      const failure: Failure = { code: 'exec_failed', message: 'the action could not be started', detail: result.spawnError };
      return answer(this.io, errorResponse(this.requestId, failure, { domain: action.domain, action: action.name }, this.options.diagnostic), failure, this.options.diagnostic);
    }
    const response = executedResponse(this.requestId, action.domain, action.name, result);
    if (result.timedOut) return answer(this.io, response, TIMEOUT_FAILURE, false);
    this.io.writeStdout(responseLine(response));
    return result.aborted ? 125 : executedExitStatus(result.exitCode);
  }

  /**
   * Masks sensitive values in the logged request text and arguments. The action is looked
   * up whatever the caller's rights, since this runs before authorization.
   */
  private maskSensitive(request: ParsedRequest): void {
    // SECURITY: Map lookups: the names come from the network.
    const specs = request.action === null ? undefined : this.config.domains.get(request.domain)?.actions.get(request.action)?.args;
    const sensitive = (key: string): boolean => specs?.get(key)?.sensitive === true;
    let text = request.commandText;
    // From the end, so that earlier offsets stay valid as later words shrink.
    for (const arg of [...request.args].reverse()) {
      if (sensitive(arg.key)) text = `${text.slice(0, arg.start)}${arg.key}=***${text.slice(arg.end)}`;
    }
    this.subject.request = capForLog(text);
    this.subject.args = auditArgs(request.args.map((arg) => [arg.key, arg.value]), sensitive);
  }

  private refuse(failure: Failure): number {
    if (!this.decide(ERROR_INFO[failure.code].decision, failure)) return this.auditUnavailable();
    const where = { domain: this.subject.domain, action: this.subject.action };
    return answer(this.io, errorResponse(this.requestId, failure, where, this.options.diagnostic), failure, this.options.diagnostic);
  }

  /** Writes the one decision record; false when it could not be written (fail closed). */
  private decide(decision: 'allow' | 'invalid' | 'deny', failure: Failure | null): boolean {
    this.decided = true;
    return this.log.write('decision', this.subject, {
      decision,
      error: failure?.code ?? null,
      ...(failure?.reason !== undefined ? { reason: failure.reason } : {}),
      ...(failure?.detail !== undefined ? { detail: capForLog(failure.detail, 1024) } : {}),
    });
  }

  private auditUnavailable(): number {
    return unavailable(this.io, this.requestId, 'the audit decision record could not be written', this.options.diagnostic);
  }

  /** Anything thrown is a bug: answer service_unavailable, never with a stack trace. */
  internalError(error: unknown): number {
    const detail = `internal error: ${error instanceof Error ? error.message : 'unknown'}`;
    if (!this.decided) this.decide('deny', serviceUnavailable(detail).error);
    return unavailable(this.io, this.requestId, detail, this.options.diagnostic);
  }
}

/** Arguments as the audit log may hold them: sensitive values masked, the others capped. */
function auditArgs(entries: Iterable<readonly [string, string]>, sensitive: (key: string) => boolean): Record<string, string> {
  const logged = Object.create(null) as Record<string, string>;
  for (const [key, value] of entries) logged[key] = sensitive(key) ? '***' : capForLog(value, 256);
  return logged;
}
