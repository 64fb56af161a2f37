import { useEffect, useState } from 'preact/hooks'
import type { ChatSession } from './session.js'

/** Renders the calling component again whenever the session changes. */
export function useSession (session: ChatSession): void {
  const [, setVersion] = useState(0)
  useEffect(() => session.subscribe(() => { setVersion(version => version + 1) }), [session])
}
