import type { Socket } from 'node:net'
import type { Duplex } from './duplex.js'

/**
 * Wraps a connected `net.Socket` (or `tls.TLSSocket`) as a `Duplex`.
 *
 * The source iterates the socket in pull mode and does not destroy it when the
 * consumer returns early, so the write side can still say goodbye. Socket
 * errors (a reset peer) end the source quietly: to the layers above, a vanished
 * peer is an end of stream, not an exception.
 */
export function tcpDuplex (socket: Socket): Duplex {
  // Errors surface through the iterator and the 'close' event; never as an uncaught 'error'.
  socket.on('error', () => {})
  socket.setNoDelay(true)
  const closed = new Promise<void>(resolve => { socket.once('close', () => { resolve() }) })
  const remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`

  // The loops below drop each chunk before they wait for the next: a suspended `for await` kept
  // its last value alive, so every idle connection held its last read and its last write.
  async function * source (): AsyncGenerator<Uint8Array> {
    const chunks = socket.iterator({ destroyOnReturn: false })
    try {
      while (true) {
        let next: IteratorResult<unknown> | undefined = await chunks.next()
        if (next.done === true) return
        const chunk = next.value as Uint8Array
        next = undefined
        yield chunk
      }
    } catch {
      // ECONNRESET and friends: the peer is gone, which is an end of stream.
    } finally {
      // The consumer stopped early: let the socket iterator remove its listeners.
      await chunks.return?.().catch(() => {})
    }
  }

  async function sink (chunks: AsyncIterable<Uint8Array>): Promise<void> {
    const iterator = chunks[Symbol.asyncIterator]()
    while (true) {
      let next: IteratorResult<Uint8Array> | undefined = await iterator.next()
      if (next.done === true) break
      if (socket.destroyed) {
        await iterator.return?.()
        return
      }
      const full = !socket.write(next.value)
      next = undefined
      if (full) await drained(socket)
    }
    if (!socket.destroyed) socket.end()
  }

  return {
    source: source(),
    sink,
    destroy: () => { socket.destroy() },
    get writableLength () { return socket.writableLength },
    closed,
    remoteAddress
  }
}

function drained (socket: Socket): Promise<void> {
  return new Promise(resolve => {
    const done = (): void => {
      socket.off('drain', done)
      socket.off('close', done)
      resolve()
    }
    socket.on('drain', done)
    socket.on('close', done)
  })
}
