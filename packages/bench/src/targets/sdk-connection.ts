import { connect, defaultTransport } from '@chat/client'
import type { ChatClient, PullDuplex, Transport } from '@chat/client'
import type { ConnectionSpec, Endpoint, LoadConnection, Receiver } from '../load/target.js'
import type { TextFields } from '../load/message-text.js'
import { parseTextString } from '../load/message-text.js'

/**
 * A load-generator connection made of `@chat/client`'s own calls, as an app
 * makes them: `connect`, `join`, `client.send` (an idempotency key each; a
 * publisher's ack is its promise resolving) and `for await` over
 * `messages()`. No protocol shortcut: what the SDK costs is in the figure.
 *
 * Every message is one "read" for the receiver (chunkStart, message,
 * chunkEnd), so a latency sample is taken when the app gets it; the bytes
 * read are counted by a thin wrapper around the SDK's own transport.
 */
export async function openSdkConnection (endpoint: Endpoint, spec: ConnectionSpec, receiver: Receiver): Promise<LoadConnection> {
  // The carrier kinds are the SDK's schemes: tcp://, tls://, ws:// (its path defaults to /ws).
  const client = await connect(`${endpoint.carrier ?? 'tcp'}://127.0.0.1:${endpoint.port}`, {
    username: spec.name,
    reconnect: false,
    tls: endpoint.tlsCa === undefined ? undefined : { ca: endpoint.tlsCa },
    transport: countingBytes(receiver)
  })
  let closedByUs = false
  const fail = (reason: string): void => { if (!closedByUs) receiver.failed(reason) }
  try {
    await client.join(spec.room)
  } catch (err) {
    cut(client)
    throw new Error(`${spec.name}: join refused: ${(err as Error).message}`)
  }
  void readMessages(client, spec.room, receiver).catch((err: Error) => { fail(`messages() threw: ${err.message}`) })
  void client.closed.then(reason => { fail(`client closed: ${reason?.message ?? 'by the server'}`) })
  const acked = (): void => {
    receiver.acked(1)
    receiver.chunkEnd() // lets a publisher top its window up
  }
  const refused = (err: Error): void => { fail(`send rejected: ${err.message}`) }
  return {
    send: texts => { for (const text of texts) client.send(spec.room, text).then(acked, refused) },
    close: () => {
      closedByUs = true
      cut(client)
    }
  }
}

async function readMessages (client: ChatClient, room: string, receiver: Receiver): Promise<void> {
  const fields: TextFields = { publisher: 0, seq: 0, sentMicros: 0 }
  for await (const message of client.messages({ room })) {
    receiver.chunkStart(0)
    if (parseTextString(message.text, fields)) receiver.message(fields)
    receiver.chunkEnd()
  }
}

/** No goodbye: the run is over. */
function cut (client: ChatClient): void {
  client.close({ signal: AbortSignal.abort() }).catch(() => {})
}

/** The SDK's default transport for the address, its incoming chunks counted (as reads with no message) for the wire MB/s. */
function countingBytes (receiver: Receiver): Transport {
  return async (address, options) => {
    const duplex = await defaultTransport(address, options)
    return {
      source: (async function * () {
        for await (const chunk of duplex.source) {
          receiver.chunkStart(chunk.byteLength)
          receiver.chunkEnd()
          yield chunk
        }
      })(),
      sink: async source => { await duplex.sink(source) },
      destroy: () => { duplex.destroy() },
      get writableLength () { return duplex.writableLength },
      closed: duplex.closed,
      remoteAddress: duplex.remoteAddress
    } satisfies PullDuplex
  }
}
