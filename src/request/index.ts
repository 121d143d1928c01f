/** Request grammar stage (docs/protocol.md §3): raw request text in, ParsedRequest or bad_request out. */
export {
  BUILTIN_NAMES,
  IDENTIFIER,
  NO_COMMAND_HINT,
  isBuiltinName,
  isIdentifier,
  parseRequest,
  type ActionRequest,
  type BuiltinCall,
  type BuiltinRequest,
  type BuiltinName,
  type ParsedRequest,
  type ProofFields,
  type RequestArg,
} from './parse.js';
export { quoteValue } from './quote.js';
export { maskProofInRawRequest, maskSensitiveValues } from './mask.js';
