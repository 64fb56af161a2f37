import { createServer } from 'node:net'

/**
 * A TCP port that is free now, below 32768: fixed ports in the ephemeral range
 * (32768-60999) can collide with outgoing connections. For servers that can't
 * take port 0 and report what they got.
 */
export async function freePort (): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000)
    const free = await new Promise<boolean>(resolve => {
      const server = createServer()
      server.once('error', () => { resolve(false) })
      server.listen(port, '127.0.0.1', () => { server.close(() => { resolve(true) }) })
    })
    if (free) return port
  }
  throw new Error('no free port found below 32768')
}
