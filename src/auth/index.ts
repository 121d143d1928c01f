/** Identity and auth stage (docs/protocol.md §5): who is calling, and what a proof grants. */
export { authenticate, callerOf, type Grant } from './authenticate.js';
export { computeProof, proofMessage, signatureMessage, signedCommand } from './proof.js';
export { MAX_SIG_CHARACTERS, SIGNATURE_NAMESPACE } from './_signer-scheme.js';
export { readCallerIdentity, runningAccount, type CallerIdentity } from './identity.js';
export { raisedBy, type Rights } from './grant.js';
