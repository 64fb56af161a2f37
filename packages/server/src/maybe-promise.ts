/**
 * A value now, or later. What is local (the single-process engine, the
 * SQLite store) answers at once; what is shared between servers (Redis)
 * answers after a round trip. Callers handle both with `andThen`, so the
 * local path pays no promise and no extra turn.
 */
export type MaybePromise<T> = T | Promise<T>

/** `then(value)`: at once if the value is there, else once the promise settles. */
export function andThen<T, R> (value: MaybePromise<T>, then: (value: T) => R | Promise<R>): R | Promise<R> {
  return value instanceof Promise ? value.then(then) : then(value)
}
