// Written by scripts/build.mjs (scripts/format-key.mjs): do not edit by hand (ADR 0019).
export const FORMAT_KEY = '1d44dc32fab26debabf142c2';
