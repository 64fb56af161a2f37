/**
 * Runs `fn` once the current event-loop turn is over: `setImmediate` in Node;
 * browsers have none, and a zero timeout is their nearest equivalent.
 */
export const afterThisTurn: (fn: () => void) => void = typeof setImmediate === 'function'
  ? fn => { setImmediate(fn) }
  : fn => { setTimeout(fn, 0) }
