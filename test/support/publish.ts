import type { ChatClient, SendAck } from '@chat/client'

/**
 * Sends every text to `room` in order, keeping up to `inFlight` sends waiting
 * for their acks (pipelined, as a busy app would). Resolves with the acks, in order.
 */
export async function publishPipelined (client: ChatClient, room: string, texts: readonly string[], inFlight = 200): Promise<SendAck[]> {
  const acks: SendAck[] = new Array(texts.length)
  let next = 0
  // Each worker takes the next index and calls send() in the same tick, so frames leave in index order.
  const worker = async (): Promise<void> => {
    while (next < texts.length) {
      const i = next++
      acks[i] = await client.send(room, texts[i])
    }
  }
  await Promise.all(Array.from({ length: Math.min(inFlight, texts.length) }, worker))
  return acks
}
