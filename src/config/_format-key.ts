// Written by scripts/build.mjs (scripts/format-key.mjs): do not edit by hand (ADR 0019).
export const FORMAT_KEY = '913f00e743494d68b8bc3dd8';
