/**
 * The proof schemes' field names (docs/protocol.md §5, §5.2), with no code of their own: the
 * grammar takes its list of `+` fields from here, and the audit log's masking the fields
 * and value shapes it must never hold. Each scheme's verification lives in its own file.
 */
export const PROOF_SCHEMES = {
  token: { fields: ['token', 'ts', 'nonce', 'proof'], secret: 'proof' },
  signer: { fields: ['signer', 'ts', 'nonce', 'sig'], secret: 'sig' },
} as const;

export type SchemeName = keyof typeof PROOF_SCHEMES;
export type ProofFieldName = (typeof PROOF_SCHEMES)[SchemeName]['fields'][number];
export type ProofFields = Partial<Record<ProofFieldName, string>>;

/** Every `+field=` a credential scheme defines, in a stable order. */
export const PROOF_FIELD_NAMES: readonly ProofFieldName[] = [...new Set(Object.values(PROOF_SCHEMES).flatMap((scheme) => scheme.fields))];

/** The fields whose values are never logged: a proof or a signature. */
export const SECRET_FIELD_NAMES: readonly ProofFieldName[] = Object.values(PROOF_SCHEMES).map((scheme) => scheme.secret);

/**
 * What a proof or a signature looks like once quoting may have hidden its field name: 64 hex
 * digits (an HMAC proof), or a long run of base64 (an SSHSIG blob is hundreds of characters,
 * and the signature inside any of them longer than 64).
 */
export const SECRET_VALUE_SHAPES: readonly RegExp[] = [/[0-9a-f]{64}/gi, /[A-Za-z0-9+/]{64,}={0,2}/g];
