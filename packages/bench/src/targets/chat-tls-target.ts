import { BENCH_LIMITS } from './chat-target.js'
import { installed } from '../installed.js'
import { startServerProcess } from '../server-process.js'
import type { LoadTarget, TargetKind } from '../load/target.js'
import { throwawayCertificate } from './throwaway-certificate.js'

/**
 * Our server speaking TLS on its TCP port (`--tls-cert`/`--tls-key`, a
 * certificate made for this run), driven by the same load generator as the
 * plain TCP `chat` row: the difference between the two is what TLS costs.
 */
export function chatTlsTarget (): TargetKind {
  return {
    name: 'chat-tls',
    unavailable: () => installed('openssl') ? undefined : 'openssl is not installed (it makes the throwaway certificate)',
    start: async () => {
      const certificate = throwawayCertificate()
      try {
        const server = await startServerProcess(['--auth', 'open', ...BENCH_LIMITS, '--memory', '--tls-cert', certificate.certFile, '--tls-key', certificate.keyFile])
        return {
          name: 'chat-tls',
          process: server,
          endpoint: { protocol: 'chat', carrier: 'tls', port: server.port, tlsCa: certificate.certPem },
          stop: async () => {
            await server.stop()
            certificate.remove()
          }
        } satisfies LoadTarget
      } catch (err) {
        certificate.remove()
        throw err
      }
    }
  }
}
