import type { IncomingMessage, ServerResponse } from 'node:http'
import type { HttpRoute } from '../transport/http-listener.js'
import type { ServerMetrics } from './metrics.js'

/** What the health checks ask of the server. */
export interface Readiness {
  /** Accepting connections, with its store open: not starting, not shutting down. */
  ready: () => boolean
}

function answer (response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body)
}

function getOnly (handler: (response: ServerResponse) => void | Promise<void>): HttpRoute {
  return {
    request: (request: IncomingMessage, response: ServerResponse) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.setHeader('allow', 'GET, HEAD')
        answer(response, 405, 'text/plain; charset=utf-8', 'GET only\n')
        return
      }
      void Promise.resolve(handler(response)).catch(err => { answer(response, 500, 'text/plain; charset=utf-8', `${String(err)}\n`) })
    }
  }
}

/**
 * The operator's paths on the HTTP port: `/healthz` (the process answers),
 * `/readyz` (it accepts clients: 503 while starting or shutting down) and
 * `/metrics` (Prometheus text).
 */
export function healthRoutes (readiness: Readiness, metrics: ServerMetrics): ReadonlyMap<string, HttpRoute> {
  return new Map([
    ['/healthz', getOnly(response => { answer(response, 200, 'text/plain; charset=utf-8', 'ok\n') })],
    ['/readyz', getOnly(response => {
      const ready = readiness.ready()
      answer(response, ready ? 200 : 503, 'text/plain; charset=utf-8', ready ? 'ready\n' : 'not ready\n')
    })],
    ['/metrics', getOnly(async response => { answer(response, 200, metrics.contentType, await metrics.text()) })]
  ])
}
