// Written by scripts/build.mjs (scripts/format-key.mjs): do not edit by hand (ADR 0019).
export const FORMAT_KEY = '3c32781d7d12d46ec54fc2ee';
