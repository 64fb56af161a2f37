import { test } from 'node:test'
import assert from 'node:assert/strict'
import { abortable } from '../src/abortable.js'

test('without a signal, or one that never aborts, it settles as the promise does', async () => {
  assert.equal(await abortable(Promise.resolve(1), undefined, 'x'), 1)
  const controller = new AbortController()
  assert.equal(await abortable(Promise.resolve(2), controller.signal, 'x'), 2)
  await assert.rejects(abortable(Promise.reject(new Error('boom')), controller.signal, 'x'), /boom/)
})

test('an abort first rejects with a ChatError aborted, naming the wait and carrying the reason', async () => {
  const controller = new AbortController()
  const never = new Promise<number>(() => {})
  const waiting = abortable(never, controller.signal, 'close()')
  const reason = new Error('user gave up')
  controller.abort(reason)
  const error = await waiting.then(() => undefined, (err: unknown) => err as Error & { code: string })
  assert.equal(error?.name, 'ChatError')
  assert.equal(error?.code, 'aborted')
  assert.match(error?.message ?? '', /close\(\) was aborted/)
  assert.equal(error?.cause, reason)
})

test('a signal aborted already rejects at once, and a later rejection of the promise is not left unhandled', async () => {
  let reject!: (err: Error) => void
  const later = new Promise<void>((_resolve, r) => { reject = r })
  await assert.rejects(abortable(later, AbortSignal.abort(), 'x'), { code: 'aborted' })
  reject(new Error('late'))
  await new Promise(resolve => setImmediate(resolve))
})
