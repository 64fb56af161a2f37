import type { Connection } from './connection.js'

/** Logged-in connections by lower-cased username: names are unique case-insensitively. */
export class OnlineUsers {
  private readonly byKey = new Map<string, Connection>()

  get size (): number {
    return this.byKey.size
  }

  get (userKey: string): Connection | undefined {
    return this.byKey.get(userKey)
  }

  has (userKey: string): boolean {
    return this.byKey.has(userKey)
  }

  add (connection: Connection): void {
    this.byKey.set(connection.userKey!, connection)
  }

  /** Removes the connection if it is the one logged in under its name. */
  remove (connection: Connection): void {
    if (connection.userKey !== undefined && this.byKey.get(connection.userKey) === connection) {
      this.byKey.delete(connection.userKey)
    }
  }
}
