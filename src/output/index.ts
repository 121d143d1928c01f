/** Response and audit stage (docs/protocol.md §7.2, §8). */
export { jsonLine } from './json-line.js';
export { OVER_CAP_FAILURE, TIMEOUT_FAILURE, errorResponse, executedResponse, rawExecutedResponse, successResponse, responseLine, responseLinePieces, stderrLine, encodeOutput, type BuiltinResponse, type ExecutedResponse, type RefusalResponse, type Response, type ServedExecutedResponse, type ServedResponse, type SessionResponse, type WireError } from './response.js';
export { AuditLog, capForLog, type AuditSubject, type DecisionFields, type OutcomeFields, type SessionEndFields } from './audit.js';
export { syslogSocket, syslogWriter, type SyslogWriter } from './syslog.js';
export { FdByteSink, type ByteSink } from './raw-writer.js';
