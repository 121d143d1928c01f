// Written by scripts/build.mjs (scripts/format-key.mjs): do not edit by hand (ADR 0019).
export const FORMAT_KEY = 'ca45b7aba6c8c66a6ed206ea';
