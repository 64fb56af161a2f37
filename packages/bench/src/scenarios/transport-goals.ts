import type { Cell, ScenarioReport } from '../report.js'
import { targetsTable } from './goals.js'
import { numberCell } from './report-cells.js'

/**
 * The targets of issue 11 (WebSocket and TLS) next to what this run
 * measured; the TLS and SDK rows have no target and are reported as
 * measured. A row whose scenario or target did not run shows as not measured.
 */
export function transportGoalsReport (reports: ScenarioReport[]): ScenarioReport {
  const row = (scenario: string, target: string): Record<string, Cell> | undefined =>
    reports.find(r => r.scenario === scenario)?.rows.find(x => x.target === target)
  const num = numberCell
  const rows: Array<Record<string, Cell>> = []
  const goal = (name: string, wanted: string, measured: string | undefined, met: boolean | undefined): void => {
    rows.push({ goal: name, wanted, measured: measured ?? 'not measured', met: measured === undefined ? undefined : met })
  }
  for (const scenario of ['fanout-s100-p1', 'fanout-s10-p10']) {
    const ws = row(scenario, 'chat-ws')
    const valid = ws?.valid === true
    const xSocketio = num(ws?.xSocketio)
    const xChat = num(ws?.xChat)
    goal(`${scenario}: WebSocket deliveries/s vs socket.io`, '≥ 10×', xSocketio === undefined ? undefined : `${xSocketio}×`, valid && xSocketio !== undefined && xSocketio >= 10)
    goal(`${scenario}: WebSocket deliveries/s vs chat over TCP`, '≥ 0.7×', xChat === undefined ? undefined : `${xChat}×`, valid && xChat !== undefined && xChat >= 0.7)
  }
  // Per-connection memory is only comparable at scale: with a few hundred connections, fixed costs dominate.
  const scale = row('connection-scale', 'chat-ws')
  const kib = (num(scale?.connected) ?? 0) >= 10_000 ? num(scale?.kibPerConnection) : undefined
  const socketio = row('connection-scale', 'socket.io')
  const socketioKib = (num(socketio?.connected) ?? 0) >= 10_000 ? num(socketio?.kibPerConnection) : undefined
  goal('10,000 idle WebSocket connections: server memory each', '≤ 16 KiB',
    kib === undefined ? undefined : `${kib} KiB${socketioKib === undefined ? '' : ` (socket.io: ${socketioKib} KiB)`}`, kib !== undefined && kib <= 16)
  if (scale !== undefined && kib === undefined) rows[rows.length - 1].measured = `not measured at 10,000 (${String(scale.connected)} connected: ${String(scale.kibPerConnection)} KiB each)`
  // What TLS and the SDK cost, against our server over plain TCP in the same run (they run at S=100/P=1 only): measured, no target.
  const scenario = 'fanout-s100-p1'
  const chatNs = num(row(scenario, 'chat')?.serverNsPerDelivery)
  for (const [target, what] of [['chat-tls', 'TLS'], ['chat-sdk', 'SDK (@chat/client)']]) {
    const r = row(scenario, target)
    const xChat = num(r?.xChat)
    const ns = num(r?.serverNsPerDelivery)
    goal(`${scenario}: ${what} vs chat over TCP`, 'measured',
      xChat === undefined || ns === undefined ? undefined : `${xChat}× deliveries/s; server ${ns} ns / delivery against ${String(chatNs)} (${String(num(r?.xChatServerCost))}×)`,
      undefined)
  }
  return targetsTable('goals-websocket-tls', 'Targets (issue 11): WebSocket and TLS, our server in this run', rows,
    ['A row that was not valid (lost, reordered or unacknowledged texts) does not meet its target. "measured": no target, the cost is reported.'])
}
