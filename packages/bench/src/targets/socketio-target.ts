import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { startProcess, waitForOutput } from '../child-processes.js'
import { SERVER_NODE_FLAGS } from '../server-process.js'
import type { TargetKind } from '../load/target.js'

const SOCKETIO_SERVER = fileURLToPath(new URL('../servers/socketio-server.js', import.meta.url))

/**
 * A Socket.IO server with rooms (servers/socketio-server.ts), driven over its
 * wire protocol (socketio-wire-connection.ts), or with the official
 * socket.io-client if `officialClient`.
 */
export function socketioTarget (officialClient = false): TargetKind {
  return {
    name: 'socket.io',
    unavailable: () => {
      try {
        createRequire(import.meta.url).resolve('socket.io')
        return undefined
      } catch {
        return 'socket.io is not installed (pnpm install in packages/bench)'
      }
    },
    start: async () => {
      const proc = startProcess('socket.io', process.execPath, [...SERVER_NODE_FLAGS, SOCKETIO_SERVER])
      try {
        const port = Number((await waitForOutput(proc, /listening on [\d.]+:(\d+)/))[1])
        const protocol = officialClient ? 'socketio-client' : 'socketio'
        return { name: 'socket.io', process: proc, endpoint: { protocol, port }, stop: async () => { await proc.stop() } }
      } catch (err) {
        await proc.stop()
        throw err
      }
    }
  }
}
