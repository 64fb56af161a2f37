import type { ConnectOptions } from '@chat/client'

/** Reconnecting quickly: tests wait for reconnects, so the backoff stays short. */
export const RECONNECT: Omit<ConnectOptions, 'username'> = {
  reconnect: true,
  maxReconnectAttempts: 500,
  reconnectTimeWait: 20,
  reconnectJitter: 20,
  maxReconnectTimeWait: 100
}
