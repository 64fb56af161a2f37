import type { ConnectionSpec, Endpoint, LoadConnection, Receiver } from '../load/target.js'
import { LineConnection } from './baseline-target.js'
import { ChatConnection } from './chat-target.js'
import { IrcConnection } from './irc-target.js'
import { NatsConnection } from './nats-target.js'
import { openSdkConnection } from './sdk-connection.js'
import { openSocketioConnection } from './socketio-client-connection.js'
import { openSocketioWire } from './socketio-wire-connection.js'

/** Connects, logs in and joins `spec.room`, in the endpoint's protocol. */
export async function openConnection (endpoint: Endpoint, spec: ConnectionSpec, receiver: Receiver): Promise<LoadConnection> {
  switch (endpoint.protocol) {
    case 'chat': return await new ChatConnection(endpoint, spec, receiver).ready
    case 'chat-sdk': return await openSdkConnection(endpoint, spec, receiver)
    case 'line': return await new LineConnection(endpoint, spec, receiver).ready
    case 'nats': return await new NatsConnection(endpoint, spec, receiver).ready
    case 'irc': return await new IrcConnection(endpoint, spec, receiver).ready
    case 'socketio': return await openSocketioWire(endpoint.port, spec, receiver)
    case 'socketio-client': return await openSocketioConnection(endpoint.port, spec, receiver)
  }
}
