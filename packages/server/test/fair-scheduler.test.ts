import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { setImmediate as nextImmediate } from 'node:timers/promises'
import { FairScheduler, Lane } from '../src/routing/fair-scheduler.js'

/** Busy for `ms`: a step's worth of work. */
function work (ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) { /* working */ }
}

describe('FairScheduler', () => {
  it('steps the owners with work in turn, one step each, and each owner\'s jobs in turn', async () => {
    const scheduler = new FairScheduler()
    const log: string[] = []
    const job = (name: string, steps: number) => {
      let n = 0
      return () => {
        log.push(`${name}${++n}`)
        return n === steps
      }
    }
    const a = {}
    const b = {}
    await Promise.all([
      scheduler.run(a, job('a', 3)),
      scheduler.run(a, job('A', 2)),
      scheduler.run(b, job('b', 3))
    ])
    // a's two jobs share a's turns; b gets as many turns as a.
    assert.deepEqual(log, ['a1', 'b1', 'A1', 'b2', 'a2', 'b3', 'A2', 'a3'])
  })

  it('yields to the event loop once a turn has taken turnMs: others\' I/O and timers run between its steps', async () => {
    const scheduler = new FairScheduler({ turnMs: 4 })
    let steps = 0
    const stepsAtImmediates: number[] = []
    const running = scheduler.run({}, () => {
      work(1)
      return ++steps === 60
    })
    // Something else wanting the loop meanwhile: it gets it every few steps.
    while (steps < 60) {
      await nextImmediate()
      stepsAtImmediates.push(steps)
    }
    await running
    const gaps = stepsAtImmediates.map((n, i) => n - (stepsAtImmediates[i - 1] ?? 0))
    assert.ok(Math.max(...gaps) <= 10, `steps between two turns of the loop: ${gaps.join(' ')}`)
    assert.ok(stepsAtImmediates.length >= 6, `the loop turned ${stepsAtImmediates.length} times`)
  })

  it('a step that returns a promise is stepped again once it settles; a throw rejects the job', async () => {
    const scheduler = new FairScheduler()
    let release!: () => void
    const gate = new Promise<void>(resolve => { release = resolve })
    const log: string[] = []
    let n = 0
    const job = scheduler.run({}, () => {
      log.push(`step ${++n}`)
      return n === 1 ? gate : true
    })
    await nextImmediate()
    await nextImmediate()
    assert.deepEqual(log, ['step 1'], 'waits for the promise')
    release()
    await job
    assert.deepEqual(log, ['step 1', 'step 2'])
    await assert.rejects(scheduler.run({}, () => { throw new Error('boom') }), /boom/)
  })

  it('now: the first step runs at once, in the caller\'s turn', async () => {
    const scheduler = new FairScheduler()
    const log: string[] = []
    let n = 0
    const job = scheduler.run({}, () => {
      log.push(`step ${++n}`)
      return n === 2
    }, { now: true })
    assert.deepEqual(log, ['step 1'])
    await job
    assert.deepEqual(log, ['step 1', 'step 2'])
  })

  it('counts an owner\'s background jobs until they finish (or fail), and below() waits for room', async () => {
    const scheduler = new FairScheduler()
    const owner = {}
    const lane = scheduler.lane(owner)
    const gates: Array<() => void> = []
    const gated = async (fails = false): Promise<void> => {
      let opened = false
      const gate = new Promise<void>(resolve => { gates.push(() => { opened = true; resolve() }) })
      await scheduler.run(owner, () => {
        if (!opened) return gate
        if (fails) throw new Error('failed')
        return true
      }, { background: true })
    }
    const first = gated()
    const second = gated(true).catch(() => 'failed')
    void scheduler.run(owner, () => true) // not background: not counted
    assert.equal(lane.pending, 2)
    let room = false
    const waiting = lane.below(2).then(() => { room = true })
    await nextImmediate()
    assert.equal(room, false)
    gates[1]()
    assert.equal(await second, 'failed')
    await waiting
    assert.equal(lane.pending, 1)
    gates[0]()
    await first
    assert.equal(lane.pending, 0)
    await lane.below(1)
  })
})

describe('Lane.takePage', () => {
  it('gives a second\'s worth of tokens at once, then one per 1/rate seconds', async () => {
    const lane = new Lane(10)
    for (let i = 0; i < 10; i++) assert.equal(lane.takePage(), undefined, `token ${i + 1} of the burst`)
    const wait = lane.takePage()
    assert.ok(wait instanceof Promise, 'the eleventh waits')
    const started = performance.now()
    await wait
    const waited = performance.now() - started
    assert.ok(waited >= 50 && waited < 1_000, `waited ${waited.toFixed(0)} ms for a token due in about 100`)
    assert.equal(lane.takePage(), undefined, 'one is there once the wait is over')
  })
})
