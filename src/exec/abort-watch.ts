/**
 * What the executor needs of an abort signal: a subset of AbortSignal, so tests may pass a
 * real one. main.ts implements it without Node's AbortController, whose first use loads
 * EventTarget and costs about 0.4 ms of every call (ADR 0012).
 */
export interface AbortWatch {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}
