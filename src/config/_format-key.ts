// Written by scripts/build.mjs (scripts/format-key.mjs): do not edit by hand (ADR 0019).
export const FORMAT_KEY = 'e32d10c0d873f344bf41ea1b';
