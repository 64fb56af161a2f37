import type { Connection } from '../connection/connection.js'
import type { Engine } from '../engine/engine.js'

/** A closed connection's session leaves everywhere: its name is free, its rooms are told why it went. */
export function logout (engine: Engine, connection: Connection): void {
  const session = connection.session
  if (session === undefined) return
  engine.releaseName(session)
  const reason = connection.endReason === 'quit' ? 'quit' : 'disconnected'
  // Not waited for: a shared engine applies them in order, and retries those Redis missed.
  for (const room of [...session.rooms]) void engine.leave(room, session, reason)
}
