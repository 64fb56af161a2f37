import type { Session } from '../session/session.js'

/** Logged-in sessions by lower-cased username: names are unique case-insensitively. */
export class OnlineUsers {
  private readonly byKey = new Map<string, Session>()

  get size (): number {
    return this.byKey.size
  }

  get (userKey: string): Session | undefined {
    return this.byKey.get(userKey)
  }

  add (session: Session): void {
    this.byKey.set(session.userKey, session)
  }

  /** Removes the session if it is the one logged in under its name. */
  remove (session: Session): void {
    if (this.byKey.get(session.userKey) === session) this.byKey.delete(session.userKey)
  }
}
