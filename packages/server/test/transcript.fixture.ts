import { encodeFrame } from '@chat/protocol'
import type { ClientMessage, ServerMessage } from '@chat/protocol'
import type { RawClient } from '@chat/testing'

/**
 * What a client received, as the orders the protocol promises: replies in
 * request order, acks in send order (with the commit: they may come before
 * or after later replies), each room's and conversation's messages in id
 * order, presence in the order it happened. Times and tokens left out.
 * For comparing a run on an engine or store that answers later with one
 * that answers at once.
 */
export function transcript (client: RawClient): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = { replies: [], acks: [], presence: [], other: [] }
  for (const message of client.received) {
    if (message.type === 'ping' || message.type === 'pong') continue
    const m = normalize(message)
    if (message.type === 'ack') out.acks.push(m)
    else if (message.type === 'msg') (out[`msg ${message.room ?? `to ${message.to ?? ''} from ${message.from}`}`] ??= []).push(m)
    else if (message.type === 'presence') out.presence.push(m)
    else if ('re' in message && message.re !== undefined) out.replies.push(m)
    else out.other.push(m)
  }
  return out
}

function normalize (message: ServerMessage): unknown {
  const copy: Record<string, unknown> = { ...message }
  if ('ts' in copy) copy.ts = 0
  if ('session' in copy) copy.session = '<token>'
  if (message.type === 'history_page') copy.messages = message.messages.map(m => ({ ...m, ts: 0 }))
  return copy
}

/** Several requests in one chunk: the server must answer them in order even when one waits. */
export function pipelined (client: RawClient, messages: ClientMessage[]): void {
  client.sendRaw(Buffer.concat(messages.map(m => encodeFrame(m))))
}
