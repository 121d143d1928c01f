import type { Readable } from 'node:stream';
import { authenticate, callerOf, raisedBy, signedCommand, type CallerIdentity } from './auth/index.js';
import { decisionDetail, type ActionConfig, type Config } from './config/index.js';
import { ERROR_INFO, executedExitStatus, serviceUnavailable, type Failure } from './errors.js';
import { abortedOnceSignalsDelivered, checkStdinHash, readBoundedStdin, runAction, stdinHashWithoutStdin, type AbortWatch, type ExecResult } from './exec/index.js';
import type { ServeOptions } from './invocation/index.js';
import { OVER_CAP_FAILURE, TIMEOUT_FAILURE, capForLog, errorResponse, executedResponse, rawExecutedResponse, stderrLine, successResponse, type AuditLog, type AuditSubject, type ByteSink, type ServedResponse } from './output/index.js';
import { HELP_OVERVIEW, authorize, describeCaller, describeVisible, listVisible, planExecution, stdinTimeoutHint, teachGrammar, validateArgs, type Caller } from './policy/index.js';
import { NO_COMMAND_HINT, maskProofInRawRequest, maskSensitiveValues, parseRequest, type ActionRequest, type BuiltinRequest, type ParsedRequest } from './request/index.js';

/** What one request needs from its surroundings; it does no process I/O of its own. */
export interface ExchangeIO {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly user: string;
  readonly pid: number;
  readonly now: () => number;
  /** Aborted on SIGHUP/SIGTERM/SIGINT or when the client is gone. */
  readonly abort: AbortWatch;
  /** Why the client is gone, asked right before a child starts (docs/protocol.md §7.3); absent: never. */
  readonly clientGone?: () => string | null;
  /** The operator's trace of a refusal the audit log could not take (docs/protocol.md §2.1). */
  syslog(line: string): void;
  /** The client's stdout as a byte sink, opened when a raw action starts (docs/protocol.md §13); one-shot only. */
  readonly rawStdout?: () => ByteSink;
}

/** Where an action's stdin comes from: the connection (one-shot) or the session line. */
export type StdinSource =
  | { readonly kind: 'stream'; readonly open: () => Readable }
  | { readonly kind: 'bytes'; readonly data: Buffer | null };

/** The opened service a request is served by: one config, its audit log, the operator's options. */
export interface Service {
  readonly config: Config;
  readonly log: AuditLog;
  readonly options: ServeOptions;
  readonly configPath: string;
  /** Who is calling, read once: a session's environment does not change. */
  readonly caller: CallerIdentity;
}

/** A request's whole answer: the JSON line, the stderr line (or none), the exit status. */
export interface Answer {
  readonly response: ServedResponse;
  readonly stderr: string | null;
  readonly exit: number;
  /** The caller is locked out after this answer (a session ends, docs/protocol.md §12). */
  readonly lockedOut: boolean;
  /** This answer is a session's first line: the session starts (docs/protocol.md §12). */
  readonly startsSession?: true;
  /** A raw action's answer: the JSON line goes to stderr, stdout being the download (docs/protocol.md §13). */
  readonly onStderr?: true;
}

/** A session request's place in its session, for the audit records (docs/protocol.md §12). */
export interface SessionPlace {
  readonly id: string;
  readonly seq: number;
  /** Receives the action's output as it comes, for `stream: true`. */
  readonly onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

/** Answers service_unavailable; the detail reaches the client only under --diagnostic. */
export function unavailableAnswer(requestId: string, detail: string, diagnostic: boolean): Answer {
  const failure = serviceUnavailable(detail).error;
  return refusalAnswer(errorResponse(requestId, failure, {}, diagnostic), failure, diagnostic);
}

/**
 * service_unavailable for a failure the audit log did not record: its detail goes to
 * syslog with the account and the config path, so the server is never silent (docs/protocol.md §2.1).
 */
export function unauditedAnswer(io: ExchangeIO, requestId: string, detail: string, diagnostic: boolean, configPath: string): Answer {
  io.syslog(`service_unavailable: ${capForLog(detail, 600)} (account ${io.user}, config ${configPath}, request ${requestId})`);
  return unavailableAnswer(requestId, detail, diagnostic);
}

function refusalAnswer(response: ServedResponse, failure: Failure, diagnostic: boolean, lockedOut = false): Answer {
  return { response, stderr: stderrLine(failure, diagnostic), exit: ERROR_INFO[failure.code].exit, lockedOut };
}

/** One request's journey through the stages, with the audit subject it accumulates. */
export class Exchange {
  private readonly subject: AuditSubject;
  private readonly clientAddress: string | null;
  private readonly session: SessionPlace | null;
  private caller: Caller;
  private decided = false;

  constructor(
    private readonly requestId: string,
    private readonly service: Service,
    private readonly io: ExchangeIO,
    session: SessionPlace | null = null,
  ) {
    const { options } = service;
    const identity = service.caller;
    this.clientAddress = identity.clientAddress;
    this.caller = { level: options.level, tags: options.tags };
    this.session = session;
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
      ...(identity.certificateKeyId !== null ? { key_id: identity.certificateKeyId } : {}),
      request: '',
      domain: null,
      action: null,
      args: Object.create(null) as Record<string, string>,
      ...(session !== null ? { session_id: session.id, session_seq: session.seq } : {}),
    };
  }

  private get config(): Config {
    return this.service.config;
  }

  private get diagnostic(): boolean {
    return this.service.options.diagnostic;
  }

  /**
   * Refuses before the request is served, recording what was asked the way run() would:
   * proof fields removed, and sensitive values masked when the request parses.
   */
  refuseInvocation(rawRequest: string | null, failure: Failure): Answer {
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
    return this.routed(this.refuse(failure));
  }

  async run(rawRequest: string | null, stdin: StdinSource): Promise<Answer> {
    let answer: Answer;
    try {
      answer = await this.serve(rawRequest, stdin);
    } catch (error) {
      answer = this.internalError(error);
    }
    return this.routed(answer);
  }

  /**
   * A raw action's answer, refusals included, goes to stderr and alone: stdout is the
   * download (docs/protocol.md §13). Only for an action the caller can know of: a hidden
   * one is answered on stdout, exactly like one that is not configured.
   */
  private routed(answer: Answer): Answer {
    const { domain, action } = this.subject;
    if (this.session !== null || domain === null || action === null) return answer;
    const found = authorize(this.config, domain, action, this.caller);
    const known = found.ok ? found.value : found.error.code === 'insufficient_level' ? this.config.domains.get(domain)?.actions.get(action) : undefined;
    return known?.output === 'raw' ? { ...answer, stderr: null, onStderr: true } : answer;
  }

  private async serve(rawRequest: string | null, stdinSource: StdinSource): Promise<Answer> {
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

    if (request.builtin !== null) {
      // Refused before any proof is checked, so no nonce is spent: a built-in reads no stdin,
      // and a session is never raised.
      if (request.builtin.name === 'session' && request.proofFields !== null) {
        return this.refuse({ code: 'bad_request', message: "'session' takes no proof fields: proofs are per request", hint: 'ssh -T <host> session, then a proof inside each request line' });
      }
      if (request.stdinSha256 !== null) return this.refuse(stdinHashWithoutStdin(`the built-in '${request.builtin.name}'`));
      if (stdinSource.kind === 'bytes' && stdinSource.data !== null) {
        return this.refuse({ code: 'bad_request', message: `the built-in '${request.builtin.name}' reads no stdin`, hint: 'send the line without "stdin"' });
      }
    }
    if (request.proofFields !== null) {
      const requester = { address: this.clientAddress, caller: callerOf(this.subject.key, this.subject.identity) };
      const signed = signedCommand(request.commandText, request.stdinSha256);
      const granted = authenticate(this.config, request.proofFields, signed, requester, this.io.now());
      const { token, signer } = request.proofFields;
      if (token !== undefined) this.subject.token = capForLog(token, 64);
      if (signer !== undefined) {
        this.subject.signer = capForLog(signer, 64);
        // SECURITY: Map lookup: the signer name comes from the network.
        this.subject.signer_key = this.config.signers.get(signer)?.fingerprint ?? null;
      }
      if (!granted.ok) return this.refuse(granted.error);
      this.caller = raisedBy(this.caller, granted.value);
      this.subject.level = this.caller.level;
      this.subject.tags = this.caller.tags;
    }
    if (request.builtin !== null) return this.runBuiltin(request);
    return this.runAction(request, stdinSource);
  }

  private runBuiltin(request: BuiltinRequest): Answer {
    const { builtin } = request;
    if (builtin.name === 'session') return this.startSession();
    let fields: Record<string, unknown>;
    if (builtin.name === 'help') {
      const described = describeVisible(this.config, this.caller, builtin.domain, builtin.action);
      if (!described.ok) return this.refuse(described.error);
      fields = builtin.domain === null ? { ...this.helpOverview(), domains: described.value } : { domains: described.value };
    } else if (builtin.name === 'list') {
      fields = { actions: listVisible(this.config, this.caller) };
    } else {
      fields = describeCaller(this.subject, this.caller);
    }
    if (!this.decide('allow', null)) return this.auditUnavailable();
    return { response: successResponse(this.requestId, fields), stderr: null, exit: 0, lockedOut: false };
  }

  /** help's usage, built-ins and scope; `session` only where this host enables it. */
  private helpOverview(): Record<string, unknown> {
    const enabled = this.config.server.session.enabled && this.session === null;
    return { ...HELP_OVERVIEW, builtins: HELP_OVERVIEW.builtins.filter((b) => enabled || b.name !== 'session') };
  }

  /** The answer to `session`: its hello line, or why there is no session (docs/protocol.md §12). */
  private startSession(): Answer {
    if (this.session !== null) return this.refuse({ code: 'bad_request', message: "'session' inside a session", hint: 'send requests, one per line' });
    const limits = this.config.server.session;
    if (!limits.enabled) return this.refuse({ code: 'bad_request', message: 'session mode is not enabled on this host', hint: 'one request per ssh call: ssh <host> help' });
    if (!this.decide('allow', null)) return this.auditUnavailable();
    const session = { id: this.requestId, max_requests: limits.maxRequests, idle_timeout: limits.idleTimeout, max_seconds: limits.maxSeconds, max_line_bytes: limits.maxLineBytes };
    return { response: successResponse(this.requestId, { session }), stderr: null, exit: 0, lockedOut: false, startsSession: true };
  }

  /** The session's last audit record, written by the exchange that started it. */
  recordSessionEnd(reason: string, requests: number): boolean {
    return this.service.log.write('session_end', this.subject, { reason, requests });
  }

  /** Refuses a session line that is no request at all (docs/protocol.md §12); the line itself is not logged. */
  refuseLine(message: string): Answer {
    return this.refuse({ code: 'bad_request', message, reason: 'protocol' });
  }

  private async runAction(request: ActionRequest, stdinSource: StdinSource): Promise<Answer> {
    const actionName = request.action;
    const authorized = authorize(this.config, request.domain, actionName, this.caller);
    if (!authorized.ok) return this.refuse(authorized.error);
    const action = authorized.value;
    if (action.output === 'raw' && this.session !== null) {
      return this.refuse({ code: 'bad_request', message: 'raw output is one-shot', hint: `run it as its own ssh call: ssh -T -n <host> '${action.domain} ${action.name}' > file` });
    }

    const values = validateArgs(action, request.args);
    if (!values.ok) return this.refuse(values.error);
    // The values that will run, defaults included.
    this.subject.args = auditArgs(values.value, (key) => action.args.get(key)?.sensitive === true);

    if (request.stdinSha256 !== null && action.stdin === null) return this.refuse(stdinHashWithoutStdin('this action'));
    // Planned before stdin is read: nothing the caller sends next can change what runs.
    const plan = planExecution(action, values.value, this.config.server.env, {
      domain: action.domain,
      action: action.name,
      identity: this.subject.identity,
      requestId: this.requestId,
      level: this.caller.level,
    });
    const deadline = this.io.now() + action.timeout * 1000;
    let stdin: Buffer | null = null;
    if (action.stdin !== null) {
      const read = await this.readStdin(action, stdinSource);
      if ('refusal' in read) return read.refusal;
      stdin = read.data;
      const mismatch = request.stdinSha256 === null ? null : checkStdinHash(request.stdinSha256, stdin);
      if (mismatch !== null) return this.refuse(mismatch);
    } else if (stdinSource.kind === 'bytes' && stdinSource.data !== null) {
      return this.refuse({ code: 'bad_request', message: 'this action reads no stdin', hint: 'send the line without "stdin"' });
    }

    // SECURITY: a stop signal during the checks ends the request before anything runs,
    // with its decision record (docs/protocol.md §7.1).
    if (await abortedOnceSignalsDelivered(this.io.abort)) {
      return this.refuse({ code: 'service_unavailable', message: 'service unavailable', detail: 'aborted by a signal before the action started' });
    }
    if (!this.decide('allow', null)) return this.auditUnavailable();
    const result = await runAction({ ...plan, timeoutMs: Math.max(1, deadline - this.io.now()) }, {
      stdin,
      killGraceMs: this.config.server.killGrace * 1000,
      abort: this.io.abort,
      ...(this.io.clientGone !== undefined ? { clientGone: this.io.clientGone } : {}),
      ...(this.session?.onOutput !== undefined ? { onOutput: this.session.onOutput } : {}),
      ...(action.output === 'raw' ? { rawStdout: { sink: this.openRawStdout(), maxBytes: action.rawMaxBytes } } : {}),
    });
    return this.finish(action, result, stdin?.length ?? 0);
  }

  private openRawStdout(): ByteSink {
    if (this.io.rawStdout === undefined) throw new Error('raw output needs the client\'s stdout');
    return this.io.rawStdout();
  }

  private async readStdin(action: ActionConfig, source: StdinSource): Promise<{ data: Buffer } | { refusal: Answer }> {
    // INVARIANT: called only for an action that declares stdin.
    const maxBytes = (action.stdin as NonNullable<ActionConfig['stdin']>).maxBytes;
    if (source.kind === 'bytes') {
      const data = source.data ?? Buffer.alloc(0);
      if (data.length > maxBytes) return { refusal: this.refuse({ code: 'input_too_large', message: `stdin is larger than ${maxBytes} bytes` }) };
      return { data };
    }
    const read = await readBoundedStdin(source.open(), maxBytes, action.timeout * 1000, this.io.abort);
    if (read.kind === 'too-large') {
      return { refusal: this.refuse({ code: 'input_too_large', message: `stdin is larger than ${maxBytes} bytes` }) };
    }
    if (read.kind !== 'data') {
      const failure: Failure = read.kind === 'timeout'
        ? { code: 'timeout', message: 'stdin did not reach its end within the timeout', hint: stdinTimeoutHint(action) }
        : { code: 'service_unavailable', message: 'service unavailable', detail: 'aborted while reading stdin' };
      return { refusal: this.refuse(failure) };
    }
    return { data: read.data };
  }

  private finish(action: ActionConfig, result: ExecResult, stdinBytes: number): Answer {
    const written = this.service.log.write('outcome', this.subject, {
      error: result.outcome === 'exited' ? null : result.outcome,
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
    const lost = written ? '' : 'portcullis: audit outcome record could not be written\n';
    // The log cannot hold why: syslog does, whatever the answer's channel (a raw answer has no line for it).
    if (!written) {
      const why = this.service.log.lastError;
      this.io.syslog(`service_unavailable: the audit outcome record could not be written${why === null ? '' : `: ${capForLog(why, 400)}`} (account ${this.io.user}, config ${this.service.configPath}, request ${this.requestId})`);
    }
    const where = { domain: action.domain, action: action.name };
    const executed = action.output === 'raw' ? rawExecutedResponse : executedResponse;
    switch (result.outcome) {
      case 'exec_failed': {
        const failure: Failure = { code: 'exec_failed', message: 'the action could not be started', detail: result.spawnError ?? undefined };
        const answer = refusalAnswer(errorResponse(this.requestId, failure, where, this.diagnostic), failure, this.diagnostic);
        return { ...answer, stderr: lost + answer.stderr };
      }
      case 'timeout':
        return { response: executed(this.requestId, action.domain, action.name, result), stderr: lost + stderrLine(TIMEOUT_FAILURE, false), exit: ERROR_INFO.timeout.exit, lockedOut: false };
      case 'output_too_large':
        return { response: executed(this.requestId, action.domain, action.name, result), stderr: lost + stderrLine(OVER_CAP_FAILURE, false), exit: ERROR_INFO.output_too_large.exit, lockedOut: false };
      case 'aborted':
        return { response: executed(this.requestId, action.domain, action.name, result), stderr: lost || null, exit: 125, lockedOut: false };
      case 'exited':
        return { response: executed(this.requestId, action.domain, action.name, result), stderr: lost || null, exit: executedExitStatus(result.exitCode), lockedOut: false };
    }
  }

  /**
   * Masks sensitive values in the logged request text and arguments. The action is looked
   * up whatever the caller's rights, since this runs before authorization.
   */
  private maskSensitive(request: ParsedRequest): void {
    // SECURITY: Map lookups: the names come from the network.
    const specs = request.action === null ? undefined : this.config.domains.get(request.domain)?.actions.get(request.action)?.args;
    const sensitive = (key: string): boolean => specs?.get(key)?.sensitive === true;
    const masked = maskSensitiveValues(request, sensitive);
    this.subject.request = capForLog(masked.text);
    this.subject.args = auditArgs(masked.args, sensitive);
  }

  private refuse(failure: Failure): Answer {
    if (!this.decide(ERROR_INFO[failure.code].decision, failure)) return this.auditUnavailable();
    const where = { domain: this.subject.domain, action: this.subject.action };
    return refusalAnswer(errorResponse(this.requestId, failure, where, this.diagnostic), failure, this.diagnostic, failure.lockedOut === true || failure.code === 'locked_out');
  }

  /** Writes the one decision record; false when it could not be written (fail closed). */
  private decide(decision: 'allow' | 'invalid' | 'deny', failure: Failure | null): boolean {
    this.decided = true;
    const detail = decisionDetail(failure?.detail, this.config);
    return this.service.log.write('decision', this.subject, {
      decision,
      error: failure?.code ?? null,
      ...(failure !== null && 'reason' in failure && failure.reason !== undefined ? { reason: failure.reason } : {}),
      ...(detail !== undefined ? { detail: capForLog(detail, 1024) } : {}),
    });
  }

  private auditUnavailable(): Answer {
    const why = this.service.log.lastError;
    return unauditedAnswer(this.io, this.requestId, `the audit decision record could not be written${why === null ? '' : `: ${why}`}`, this.diagnostic, this.service.configPath);
  }

  /** Anything thrown is a bug: answer service_unavailable, never with a stack trace. */
  private internalError(error: unknown): Answer {
    const detail = `internal error: ${error instanceof Error ? error.message : 'unknown'}`;
    // After the decision, the outcome record that would carry the detail is never written.
    const audited = !this.decided && this.decide('deny', serviceUnavailable(detail).error);
    if (!audited) return unauditedAnswer(this.io, this.requestId, detail, this.diagnostic, this.service.configPath);
    return unavailableAnswer(this.requestId, detail, this.diagnostic);
  }
}

/** Arguments as the audit log may hold them: sensitive values masked, the others capped. */
function auditArgs(entries: Iterable<readonly [string, string]>, sensitive: (key: string) => boolean): Record<string, string> {
  const logged = Object.create(null) as Record<string, string>;
  for (const [key, value] of entries) logged[key] = sensitive(key) ? '***' : capForLog(value, 256);
  return logged;
}
