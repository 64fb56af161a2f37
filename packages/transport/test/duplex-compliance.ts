/**
 * The compliance suite every `Duplex` must pass, whatever carries it. Not a
 * test file by itself: importing it registers nothing; each transport's test
 * file calls `duplexCompliance` with a way to make a connected pair (see
 * tcp-compliance.test.ts and memory-compliance.test.ts).
 *
 * Both forms are covered, and across them: on each side of a pair, a test
 * uses either the push form (`attach`, `write`, `pause`, `resume`, `end`) or
 * the pull form (`source`, `sink`), never both on one side.
 *
 * No sleeps: every wait is for an event or a condition, bounded by `within`
 * (a clear failure instead of a hang). A `setImmediate` turn is used only to
 * show that something did not happen synchronously, or to give a reader one
 * turn before it goes on (a slow reader).
 */
import { after, afterEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Duplex, DuplexEvents } from '../src/index.js'

export interface ComplianceOptions {
  /**
   * Whether side a and side b keep their write side open once their peer
   * ended (a TCP socket made with `allowHalfOpen: true`, as a server's are).
   * A side without it ends its own write side when it sees the peer's end.
   * Default `[false, false]`.
   */
  halfOpen?: readonly [boolean, boolean]
  /** The transport's write mark: `write` returns false once it holds this many bytes. Default 16 KiB (a socket's). */
  highWaterMark?: number
  /** Cuts a connection as a crash would (TCP: a reset). Default `destroy()`. */
  reset?: (duplex: Duplex) => void
  /** Runs once after the suite (to close a listening server, say). */
  cleanup?: () => void | Promise<void>
  /**
   * Known bugs of this transport: test title → what is wrong. Those tests
   * still run, marked todo: their failure does not fail the run. A title
   * that names no test of the suite is an error, so stale entries show.
   */
  todo?: Readonly<Record<string, string>>
}

type Form = 'push' | 'pull'
type Label = 'a' | 'b'

const KiB = 1024
const MiB = 1024 * KiB
/** The longest any single wait may take before the test fails saying what it waited for. */
const LIMIT_MS = 10_000
/** A writer that keeps writing into a peer that doesn't read must be stopped by then (TCP buffers are far smaller). */
const FILL_CAP_BYTES = 128 * MiB

/** Byte `i` of the stream with this seed: no short period, so a chunk lost, repeated or reordered shows. */
function patternByte (seed: number, i: number): number {
  return Math.imul(i ^ seed, 0x9e3779b1) >>> 24
}

function sum (sizes: readonly number[]): number {
  return sizes.reduce((total, size) => total + size, 0)
}

/** `count` sizes, cycling through `cycle`. */
function cycled (cycle: readonly number[], count: number): number[] {
  return Array.from({ length: count }, (_, i) => cycle[i % cycle.length])
}

/** One event-loop turn (after I/O): only to show that nothing happened synchronously, or to slow a reader down. */
async function turn (): Promise<void> {
  await new Promise<void>(resolve => { setImmediate(resolve) })
}

/** `promise`, or a failure naming `what` once `ms` passed. */
async function within<T> (promise: Promise<T>, what: string, ms = LIMIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`timed out after ${ms} ms waiting for ${what}`)) }, ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * `promise`, or a failure naming `what` after `turns` event-loop turns: for
 * what must follow from something that already happened, with no I/O in
 * between (so that a hang costs turns, not seconds).
 */
async function withinTurns<T> (promise: Promise<T>, what: string, turns: number): Promise<T> {
  let settled = false
  const watched = promise.finally(() => { settled = true })
  watched.catch(() => {})
  for (let i = 0; i < turns && !settled; i++) await turn()
  if (!settled) throw new Error(`${what}: still pending ${turns} event-loop turns later`)
  return await watched
}

/** Polls a condition no event reports (a transport's `writableLength`) once a turn, bounded. */
async function untilPolled (what: string, condition: () => boolean, ms = LIMIT_MS): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await turn()
  }
}

/** How deep the test is inside a call on a duplex: a callback that runs while it is above 0 ran synchronously. */
class Calls {
  depth = 0
  inside = ''
}

/**
 * One end of a pair, as a test drives it: its push-form calls (each marked,
 * so that a callback run inside one is caught), its pull-form helpers, and
 * everything it received, checked as it arrives against the peer's pattern.
 * Anything a transport must never do is recorded in `faults` (callbacks
 * throw nothing into the transport); every test asserts it stays empty.
 */
class Side implements DuplexEvents {
  readonly faults: string[] = []
  /** What arrived, in order, with consecutive chunks as one 'data': 'data', 'end', 'close'. */
  readonly events: string[] = []
  bytes = 0
  chunks = 0
  mismatchAt = -1
  ends = 0
  drains = 0
  closes = 0
  drainsAfterEnd = 0
  /** Bytes this side sent (its pattern's offset). */
  sent = 0
  /** Called on each chunk, after it is checked and counted (to pause from inside onData, say). */
  onChunk: ((chunk: Uint8Array) => void) | undefined
  private pausedByTest = false
  private endCalled = false
  private readonly waiters = new Set<() => void>()

  constructor (
    readonly label: Label,
    readonly duplex: Duplex,
    private readonly calls: Calls
  ) {}

  get peerLabel (): Label {
    return this.label === 'a' ? 'b' : 'a'
  }

  // Push-form callbacks.

  onData (chunk: Uint8Array): void {
    this.checkOutsideCalls('onData')
    if (this.pausedByTest) this.fault('onData while paused')
    this.receive(chunk)
  }

  onEnd (): void {
    this.checkOutsideCalls('onEnd')
    this.received('end')
  }

  onDrain (): void {
    this.checkOutsideCalls('onDrain')
    if (this.closes > 0) this.fault('onDrain after onClose')
    this.drains++
    if (this.endCalled) this.drainsAfterEnd++
    this.wake()
  }

  onClose (): void {
    this.checkOutsideCalls('onClose')
    this.closes++
    if (this.closes > 1) this.fault(`onClose called ${this.closes} times`)
    this.events.push('close')
    this.wake()
  }

  // Push-form calls, marked.

  attach (): void {
    this.call('attach', () => { this.duplex.attach(this) })
  }

  write (chunk: Uint8Array): boolean {
    return this.call('write', () => this.duplex.write(chunk))
  }

  end (): void {
    this.endCalled = true
    this.call('end', () => { this.duplex.end() })
  }

  pause (): void {
    this.pausedByTest = true
    this.call('pause', () => { this.duplex.pause() })
  }

  resume (): void {
    this.pausedByTest = false
    this.call('resume', () => { this.duplex.resume() })
  }

  destroy (): void {
    this.call('destroy', () => { this.duplex.destroy() })
  }

  // Sending this side's pattern.

  /** The next `size` bytes of this side's pattern. */
  chunk (size: number): Uint8Array {
    const bytes = new Uint8Array(size)
    const seed = seedOf(this.label)
    for (let i = 0; i < size; i++) bytes[i] = patternByte(seed, this.sent + i)
    this.sent += size
    return bytes
  }

  /** Push form: writes chunks of these sizes, waiting for onDrain whenever write says the transport is full. */
  async writeAll (sizes: Iterable<number>): Promise<void> {
    for (const size of sizes) {
      const drains = this.drains
      if (!this.write(this.chunk(size))) await this.until('onDrain after write returned false', () => this.drains > drains)
    }
  }

  /** Sends chunks of these sizes in this side's form, then (once `beforeEnd` resolves) ends the write side. */
  async send (form: Form, sizes: readonly number[], beforeEnd: () => Promise<void> = async () => {}): Promise<void> {
    if (form === 'push') {
      await this.writeAll(sizes)
      await beforeEnd()
      this.end()
    } else {
      const side = this
      await this.duplex.sink((async function * () {
        for (const size of sizes) yield side.chunk(size)
        await beforeEnd()
      })())
    }
  }

  /**
   * Writes 64 KiB chunks as the push form should (waiting for onDrain after a
   * false write) until the transport holds bytes it cannot hand on: write
   * said it is full and a turn passed without onDrain, with `writableLength`
   * above 0. The peer has then stopped taking bytes. Fails if the peer takes
   * far more than any transport could buffer.
   */
  async fill (): Promise<void> {
    while (this.sent < FILL_CAP_BYTES) {
      const drains = this.drains
      if (this.write(this.chunk(64 * KiB))) continue
      await turn()
      if (this.drains > drains) continue
      if (this.duplex.writableLength > 0) return
      // Full, but not holding anything: the OS took it all and onDrain is on its way.
      await this.until('onDrain after write returned false', () => this.drains > drains)
    }
    assert.fail(`${this.peerLabel} took ${this.sent} bytes from ${this.label} without reading them`)
  }

  // The pull form.

  /** Reads the source to its end, recording what arrives. Never rejects: a source that throws is a fault. */
  async readSource (slow = false): Promise<void> {
    try {
      for await (const chunk of this.duplex.source) {
        this.receive(chunk)
        if (slow) await turn()
      }
    } catch (err) {
      this.fault(`source threw ${String(err)}`)
    }
    this.received('end')
  }

  /** The pull form's way to end the write side. */
  async sinkNothing (): Promise<void> {
    await this.duplex.sink((async function * () {})())
  }

  // Receiving.

  receive (chunk: Uint8Array): void {
    if (this.ends > 0) this.fault('data after the end')
    if (this.closes > 0) this.fault('data after onClose')
    if (chunk.byteLength === 0) this.fault('an empty chunk')
    if (this.mismatchAt < 0) {
      const seed = seedOf(this.peerLabel)
      for (let i = 0; i < chunk.byteLength; i++) {
        if (chunk[i] !== patternByte(seed, this.bytes + i)) { this.mismatchAt = this.bytes + i; break }
      }
    }
    this.bytes += chunk.byteLength
    this.chunks++
    if (this.events[this.events.length - 1] !== 'data') this.events.push('data')
    this.onChunk?.(chunk)
    this.wake()
  }

  private received (what: 'end'): void {
    this.ends++
    if (this.ends > 1) this.fault('the end reported twice')
    if (this.closes > 0) this.fault('the end reported after onClose')
    this.events.push(what)
    this.wake()
  }

  // Waiting and checking.

  /** Resolves once `condition` holds, re-checked on every event of this side; fails after LIMIT_MS naming `what`. */
  async until (what: string, condition: () => boolean): Promise<void> {
    if (condition()) return
    let check!: () => void
    const met = new Promise<void>(resolve => { check = () => { if (condition()) resolve() } })
    this.waiters.add(check)
    try {
      await within(met, `${what} (${this.describe()})`)
    } finally {
      this.waiters.delete(check)
    }
  }

  /** All of the peer's `bytes` arrived, then the end. */
  async untilEnd (bytes: number): Promise<void> {
    await this.until(`${bytes} bytes then the end`, () => this.ends > 0)
    this.assertReceived(bytes)
  }

  /** Both `closed` settled and, for a push-form side, onClose was called. */
  async untilClosed (form: Form): Promise<void> {
    await within(this.duplex.closed, `${this.label}.closed to settle (${this.describe()})`)
    if (form === 'push') await this.until('onClose', () => this.closes > 0)
  }

  assertReceived (bytes: number): void {
    assert.equal(this.mismatchAt, -1, `${this.label} received a wrong byte at offset ${this.mismatchAt}`)
    assert.equal(this.bytes, bytes, `${this.label} received ${this.bytes} bytes, expected ${bytes}`)
  }

  assertNoFaults (): void {
    assert.deepEqual(this.faults, [], `${this.label}: ${this.faults.join('; ')}`)
  }

  describe (): string {
    return `${this.label}: received ${this.bytes} bytes in ${this.chunks} chunks, events [${this.events.join(', ')}], ` +
      `${this.drains} drains, sent ${this.sent}, writableLength ${this.duplex.writableLength}` +
      (this.faults.length > 0 ? `, faults: ${this.faults.join('; ')}` : '')
  }

  private call<T> (name: string, body: () => T): T {
    const outer = this.calls.inside
    this.calls.depth++
    this.calls.inside = `${this.label}.${name}()`
    try {
      return body()
    } finally {
      this.calls.depth--
      this.calls.inside = outer
    }
  }

  private checkOutsideCalls (callback: string): void {
    if (this.calls.depth > 0) this.fault(`${callback} ran inside ${this.calls.inside}`)
  }

  private fault (what: string): void {
    this.faults.push(what)
  }

  private wake (): void {
    for (const check of this.waiters) check()
  }
}

function seedOf (label: Label): number {
  return label === 'a' ? 0x2545f491 : 0x6c8e9cf5
}

/** An iterable whose iterator records `return()`; `next` is given. */
function tracked (next: () => Promise<IteratorResult<Uint8Array>>): { source: AsyncIterable<Uint8Array>, pulls: () => number, returned: () => boolean } {
  let pulls = 0
  let returned = false
  const iterator: AsyncIterator<Uint8Array> = {
    next: async () => { pulls++; return await next() },
    return: async () => { returned = true; return { done: true, value: undefined } }
  }
  return { source: { [Symbol.asyncIterator]: () => iterator }, pulls: () => pulls, returned: () => returned }
}

const FORMS: readonly Form[] = ['push', 'pull']
const LABELS: readonly Label[] = ['a', 'b']

/**
 * Registers the compliance suite for one transport. `makePair` returns two
 * connected duplexes, untouched (nothing attached, nothing read); the suite
 * destroys them after each test.
 */
export function duplexCompliance (name: string, makePair: () => Promise<[Duplex, Duplex]>, options: ComplianceOptions = {}): void {
  const halfOpen = options.halfOpen ?? [false, false]
  const highWaterMark = options.highWaterMark ?? 16 * KiB
  const reset = options.reset ?? ((duplex: Duplex) => { duplex.destroy() })
  const todo = options.todo ?? {}
  const titles = new Set<string>()
  const open: Duplex[] = []

  /** A fresh pair as two Sides; `x` first in the result. */
  async function pair (x: Label = 'a'): Promise<[Side, Side]> {
    const [a, b] = await within(makePair(), 'a connected pair')
    open.push(a, b)
    const calls = new Calls()
    const sideA = new Side('a', a, calls)
    const sideB = new Side('b', b, calls)
    return x === 'a' ? [sideA, sideB] : [sideB, sideA]
  }

  function start (side: Side, form: Form): Promise<void> {
    if (form === 'push') {
      side.attach()
      return Promise.resolve()
    }
    return side.readSource()
  }

  /** The side ends its write side in its form. */
  async function endIn (side: Side, form: Form): Promise<void> {
    if (form === 'push') side.end()
    else await within(side.sinkNothing(), `${side.label}'s sink to end the write side`)
  }

  function test (title: string, body: () => Promise<void>): void {
    assert.ok(!titles.has(title), `two tests titled ${title}`)
    titles.add(title)
    it(title, { todo: todo[title], timeout: 60_000 }, body)
  }

  describe(`Duplex compliance: ${name}`, () => {
    afterEach(() => {
      for (const duplex of open.splice(0)) duplex.destroy()
    })
    if (options.cleanup !== undefined) after(options.cleanup)

    describe('bytes arrive intact and in order, both ways at once', () => {
      const plans: Array<{ title: string, a: number[], b: number[] }> = [
        {
          title: 'one 4 MiB write one way, 20,000 writes of 1 to 13 bytes the other',
          a: [4 * MiB],
          b: Array.from({ length: 20_000 }, (_, i) => 1 + (i % 13))
        },
        {
          title: 'mixed sizes both ways',
          a: cycled([1, 65_536, 3, 100_003, 4096, 17, 300_000], 14),
          b: cycled([16_384, 1, 1, 70_001, 255, 8191, 1_000_000], 14)
        }
      ]
      for (const plan of plans) {
        for (const formA of FORMS) {
          for (const formB of FORMS) {
            test(`${plan.title} (a ${formA}, b ${formB}); then both end and close`, async () => {
              const [a, b] = await pair()
              const reading = [start(a, formA), start(b, formB)]
              const totalA = sum(plan.a)
              const totalB = sum(plan.b)
              // Each ends once it sent everything and received everything: a side
              // without half-open stops writing when it sees its peer's end.
              await within(Promise.all([
                a.send(formA, plan.a, async () => { await a.until('all of b\'s bytes', () => a.bytes >= totalB) }),
                b.send(formB, plan.b, async () => { await b.until('all of a\'s bytes', () => b.bytes >= totalA) })
              ]), 'both sides to send everything')
              await a.untilEnd(totalB)
              await b.untilEnd(totalA)
              await within(Promise.all(reading), 'both sources to end')
              await a.untilClosed(formA)
              await b.untilClosed(formB)
              await turn()
              for (const [side, form] of [[a, formA], [b, formB]] as const) {
                assert.deepEqual(side.events, form === 'push' ? ['data', 'end', 'close'] : ['data', 'end'])
                side.assertNoFaults()
              }
            })
          }
        }
      }
    })

    describe('end()', () => {
      for (const x of LABELS) {
        for (const formX of FORMS) {
          for (const formY of FORMS) {
            const y = x === 'a' ? 'b' : 'a'
            test(`${x} (${formX}) ends: ${y} (${formY}) gets every byte, then the end; once ${y} ends too, both close`, async () => {
              const [sx, sy] = await pair(x)
              const readingX = start(sx, formX)
              const readingY = start(sy, formY)
              const sizes = cycled([1, 40_000, 7, 65_536], 12)
              await within(sx.send(formX, sizes), `${x} to send and end`)
              await sy.untilEnd(sum(sizes))
              await endIn(sy, formY)
              await sx.untilEnd(0)
              await within(Promise.all([readingX, readingY]), 'both sources to end')
              await sx.untilClosed(formX)
              await sy.untilClosed(formY)
              await turn()
              if (formX === 'push') assert.deepEqual(sx.events, ['end', 'close'])
              if (formY === 'push') assert.deepEqual(sy.events, ['data', 'end', 'close'])
              // Closed: writes go nowhere, quietly.
              assert.equal(sx.write(sx.chunk(10)), false, `${x}.write after close`)
              assert.equal(sy.write(sy.chunk(10)), false, `${y}.write after close`)
              await turn()
              sx.assertNoFaults()
              sy.assertNoFaults()
            })
          }
        }
      }

      for (const x of LABELS) {
        const y = x === 'a' ? 'b' : 'a'
        const yIndex = y === 'a' ? 0 : 1
        if (halfOpen[yIndex]) {
          test(`half-open: after ${x} ends, ${y} (push) still writes; ${x} (push) reads it all, then both close`, async () => {
            const [sx, sy] = await pair(x)
            sx.attach()
            sy.attach()
            sx.end()
            await sy.untilEnd(0)
            const sizes = cycled([1000, 65_536, 3], 9)
            await within(sy.writeAll(sizes), `${y} to write after ${x}'s end`)
            sy.end()
            await sx.untilEnd(sum(sizes))
            await sx.untilClosed('push')
            await sy.untilClosed('push')
            await turn()
            assert.deepEqual(sx.events, ['data', 'end', 'close'])
            assert.deepEqual(sy.events, ['end', 'close'])
            sx.assertNoFaults()
            sy.assertNoFaults()
          })

          test(`half-open: after ${x}'s sink ends, ${y}'s sink still writes; ${x}'s source reads it all, then both close`, async () => {
            const [sx, sy] = await pair(x)
            const readingX = sx.readSource()
            const readingY = sy.readSource()
            await within(sx.sinkNothing(), `${x}'s sink to end`)
            await sy.untilEnd(0)
            const sizes = cycled([1000, 65_536, 3], 9)
            await within(sy.send('pull', sizes), `${y}'s sink after ${x}'s end`)
            await sx.untilEnd(sum(sizes))
            await within(Promise.all([readingX, readingY]), 'both sources to end')
            await sx.untilClosed('pull')
            await sy.untilClosed('pull')
            sx.assertNoFaults()
            sy.assertNoFaults()
          })
        } else {
          test(`no half-open: when ${x} ends, ${y} ends its side by itself, and both close`, async () => {
            const [sx, sy] = await pair(x)
            sx.attach()
            sy.attach()
            sx.end()
            await sy.untilClosed('push')
            await sx.untilClosed('push')
            await turn()
            assert.deepEqual(sy.events, ['end', 'close'])
            assert.deepEqual(sx.events, ['end', 'close'])
            sx.assertNoFaults()
            sy.assertNoFaults()
          })

          test(`no half-open: a write by ${y} after ${x}'s end returns false, does not throw, and loses nothing ${y} wrote before`, async () => {
            const [sx, sy] = await pair(x)
            sx.attach()
            sx.pause()
            sy.attach()
            await sy.fill() // y holds bytes x has not taken yet
            sx.end()
            await sy.until(`${y} to see ${x}'s end`, () => sy.ends > 0)
            assert.equal(sy.write(new Uint8Array(10)), false)
            sx.resume()
            await sx.untilEnd(sy.sent)
            await sx.untilClosed('push')
            await sy.untilClosed('push')
            sx.assertNoFaults()
            sy.assertNoFaults()
          })
        }
      }
    })

    describe('push-form callbacks run on the transport\'s turn', () => {
      test('write, end, attach, pause, resume and destroy never call onData, onEnd, onDrain or onClose synchronously', async () => {
        // Every push-form test checks this for the calls it makes; here, the calls most tempted to do it.
        const [a, b] = await pair()
        b.attach()
        // Data and the end wait for a side that attaches late.
        b.write(b.chunk(1000))
        b.end()
        // Turns for the bytes to reach a's transport (memory: at once); the checks hold however far they got.
        await turn()
        await turn()
        a.attach()
        await a.untilEnd(1000)
        // Pause and resume from inside a callback, and writes, with the peer's end seen.
        a.onChunk = () => { a.pause(); a.resume() }
        if (halfOpen[0]) {
          // a may still write: b reads while a writes, with b pausing.
          b.onChunk = () => { b.pause(); b.resume() }
          await within(a.writeAll([10, 70_000, 5]), 'a to write after b\'s end')
        }
        a.end() // the peer ended already: now both are done
        await a.untilClosed('push')
        await b.untilClosed('push')
        // Calls on a closed connection.
        assert.equal(a.write(a.chunk(10)), false)
        a.end()
        a.pause()
        a.resume()
        a.destroy()
        await turn()
        if (halfOpen[0]) b.assertReceived(70_015)

        // resume() with data waiting, end() with data waiting, destroy() with data waiting both ways.
        const [c, d] = await pair()
        c.attach()
        d.attach()
        d.pause()
        await c.fill()
        assert.equal(d.bytes, 0)
        d.resume()
        c.end()
        await d.untilEnd(c.sent)
        d.write(d.chunk(100))
        d.pause()
        d.write(d.chunk(100))
        c.pause()
        await turn()
        c.destroy()
        d.destroy()
        await c.untilClosed('push')
        await d.untilClosed('push')
        await turn()
        for (const side of [a, b, c, d]) side.assertNoFaults()
      })
    })

    // pause() is strict, on TCP too: net.Socket's pause() (stream.Readable's) stops 'data' at once, even from
    // inside a 'data' listener (flow() checks `flowing` before each chunk; what arrives meanwhile is buffered,
    // and the socket stops reading past its highWaterMark). So no chunk "already in flight" is allowed for.
    describe('backpressure and pause()', () => {
      for (const x of LABELS) {
        const y = x === 'a' ? 'b' : 'a'
        test(`${x} writing to a paused ${y}: write returns false past the mark, writableLength grows; no onData while paused; onDrain once ${y} reads again, and writableLength shrinks`, async () => {
          const [sx, sy] = await pair(x)
          sx.attach()
          sy.attach()
          sy.pause()
          await sx.fill()
          assert.equal(sy.bytes, 0, `${y} got data while paused`)
          const held = sx.duplex.writableLength
          assert.ok(held > 0)
          assert.equal(sx.write(sx.chunk(64 * KiB)), false, 'write past the mark returns false')
          const grown = sx.duplex.writableLength
          assert.ok(grown > held, `writableLength grew from ${held} to ${grown} with one more 64 KiB write`)
          const drains = sx.drains
          sy.resume()
          await sx.until(`onDrain once ${y} reads again`, () => sx.drains > drains)
          assert.ok(sx.duplex.writableLength < grown, `writableLength went from ${grown} to ${sx.duplex.writableLength}`)
          assert.ok(sx.duplex.writableLength < highWaterMark)
          sx.end()
          await sy.untilEnd(sx.sent)
          sy.end()
          await sx.untilClosed('push')
          await sy.untilClosed('push')
          sx.assertNoFaults()
          sy.assertNoFaults()
        })

        test(`pause() inside onData: ${y} gets no further onData until resume(), then the rest in order`, async () => {
          const [sx, sy] = await pair(x)
          sx.attach()
          sy.attach()
          sy.onChunk = () => {
            sy.onChunk = undefined
            sy.pause()
          }
          sx.write(sx.chunk(5))
          await sy.until('the first chunk', () => sy.chunks === 1)
          await sx.fill()
          assert.equal(sy.chunks, 1, `${y} got data while paused`)
          sy.resume()
          sx.end()
          await sy.untilEnd(sx.sent)
          sy.end()
          await sx.untilClosed('push')
          await sy.untilClosed('push')
          sx.assertNoFaults()
          sy.assertNoFaults()
        })

        test(`a pull consumer on ${y} that stops pulling slows ${x}'s writes down; pulling again, every byte arrives in order`, async () => {
          const [sx, sy] = await pair(x)
          sx.attach()
          const iterator = sy.duplex.source[Symbol.asyncIterator]()
          sx.write(sx.chunk(5))
          const first = await within(iterator.next(), 'the first chunk')
          assert.equal(first.done, false)
          sy.receive(first.value)
          await sx.fill() // y pulls nothing meanwhile
          sx.end()
          let next = await within(iterator.next(), 'a chunk')
          for (; next.done !== true; next = await within(iterator.next(), 'a chunk')) sy.receive(next.value)
          sy.assertReceived(sx.sent)
          await endIn(sy, 'pull')
          await sx.untilClosed('push')
          await sy.untilClosed('pull')
          sx.assertNoFaults()
          sy.assertNoFaults()
        })
      }
    })

    describe('sink()', () => {
      for (const x of LABELS) {
        const y = x === 'a' ? 'b' : 'a'
        for (const formY of FORMS) {
          test(`${x}'s sink to a slow ${formY} reader: its source is pulled only while the transport holds less than its mark; every byte arrives; the sink ends the write side`, async () => {
            const [sx, sy] = await pair(x)
            let reading: Promise<void>
            if (formY === 'push') {
              // Reads a chunk a turn.
              sy.onChunk = () => {
                sy.pause()
                setImmediate(() => { sy.resume() })
              }
              sy.attach()
              reading = Promise.resolve()
            } else {
              reading = sy.readSource(true)
            }
            const sizes = cycled([1, 1000, 65_536, 7, 16_384, 100_000], 48) // ~8.6 MB
            let pulls = 0
            await within(sx.duplex.sink((async function * () {
              for (const size of sizes) {
                pulls++
                const holding = sx.duplex.writableLength
                if (holding >= highWaterMark) sx.faults.push(`the sink pulled chunk ${pulls} with ${holding} bytes held`)
                yield sx.chunk(size)
              }
            })()), `${x}'s sink to write ${sum(sizes)} bytes`)
            assert.equal(pulls, sizes.length)
            await sy.untilEnd(sum(sizes))
            await within(reading, `${y}'s source to end`)
            if (formY === 'push') sy.end()
            else await endIn(sy, 'pull')
            await within(sx.duplex.closed, `${x}.closed`)
            await sy.untilClosed(formY)
            sx.assertNoFaults()
            sy.assertNoFaults()
          })
        }
      }

      test('a sink over a destroyed connection returns (no hang), and returns its source iterator', async () => {
        const [a, b] = await pair()
        b.attach()
        a.destroy()
        await within(a.duplex.closed, 'a.closed')
        const { source, returned } = tracked(async () => ({ done: false, value: new Uint8Array(100) }))
        await within(a.duplex.sink(source), 'the sink to return')
        assert.ok(returned(), 'the sink did not return its source iterator')
        a.assertNoFaults()
      })

      for (const who of LABELS) {
        test(`a sink blocked on a full transport returns when ${who} destroys the connection, and returns its source iterator`, async () => {
          const [a, b] = await pair()
          b.attach()
          b.pause()
          const { source, pulls, returned } = tracked(async () => ({ done: false, value: new Uint8Array(64 * KiB) }))
          const sinking = a.duplex.sink(source)
          sinking.catch(() => {})
          // Blocked: the transport holds bytes b won't take, and a turn passed without a pull.
          let lastPulls = -1
          await untilPolled('the sink to block on a full transport', () => {
            const blocked = a.duplex.writableLength > 0 && pulls() === lastPulls
            lastPulls = pulls()
            return blocked
          })
          const pulled = pulls()
          if (who === 'a') a.destroy()
          else b.destroy()
          await within(sinking, 'the sink to return')
          assert.ok(returned(), 'the sink did not return its source iterator')
          assert.ok(pulls() <= pulled + 1, `the sink pulled ${pulls() - pulled} more chunks after the destroy`)
          await within(a.duplex.closed, 'a.closed')
          if (who === 'a') {
            // A paused side sees no end: b reads what it holds, sees the end, and ends too.
            b.resume()
            await b.until('b to see the end', () => b.ends > 0 || b.closes > 0)
            b.end()
          }
          await b.untilClosed('push')
          b.assertNoFaults()
        })
      }

      test('a sink whose source has nothing to give (an idle queue) returns when the connection is destroyed, and returns its source iterator', async () => {
        const [a, b] = await pair()
        b.attach()
        const closed = a.duplex.closed
        const { source, returned } = tracked(async () => await new Promise<never>(() => {}))
        const sinking = a.duplex.sink(source)
        sinking.catch(() => {})
        await turn()
        a.destroy()
        await within(closed, 'a.closed')
        await withinTurns(sinking, 'the sink to return after the connection closed', 20)
        assert.ok(returned(), 'the sink did not return its source iterator')
      })
    })

    describe('destroy()', () => {
      for (const x of LABELS) {
        const y = x === 'a' ? 'b' : 'a'
        for (const formY of FORMS) {
          test(`destroy() by ${x} while ${y} (${formY}) reads: both close, onClose once each; writes after close return false and do not throw`, async () => {
            const [sx, sy] = await pair(x)
            sx.attach()
            const reading = start(sy, formY)
            await within(sx.writeAll([1000]), `${x} to write`)
            await sy.until('the bytes written before destroy', () => sy.bytes === 1000)
            sx.destroy()
            // The peer sees the connection end; an owner ends its side then (a half-open socket waits for it).
            await sy.until(`${y} to see the end`, () => sy.ends > 0 || sy.closes > 0)
            await endIn(sy, formY)
            await within(reading, `${y}'s source to end`)
            await sx.untilClosed('push')
            await sy.untilClosed(formY)
            for (const side of [sx, sy]) {
              assert.equal(side.write(side.chunk(10)), false, `${side.label}.write after close`)
              side.end()
              side.destroy()
            }
            await turn()
            await turn()
            assert.equal(sx.closes, 1)
            if (formY === 'push') assert.equal(sy.closes, 1)
            sy.assertReceived(1000)
            sx.assertNoFaults()
            sy.assertNoFaults()
          })
        }

        test(`what ${x} wrote before destroy() and its transport handed on reaches ${y}, then the end`, async () => {
          const [sx, sy] = await pair(x)
          sx.attach()
          sy.attach()
          sx.write(sx.chunk(2000))
          const handedOn = sx.sent - sx.duplex.writableLength
          sx.destroy()
          await sy.until(`${y} to see the end`, () => sy.ends > 0 || sy.closes > 0)
          sy.end()
          await sy.untilClosed('push')
          assert.equal(sy.mismatchAt, -1)
          assert.ok(sy.bytes >= handedOn && sy.bytes <= sx.sent, `${y} received ${sy.bytes} bytes; ${handedOn} were handed on, ${sx.sent} written`)
          sx.assertNoFaults()
          sy.assertNoFaults()
        })
      }

      test('destroy(): the destroying side\'s source ends without throwing, while iterated and when first read after', async () => {
        const [a, b] = await pair()
        b.attach()
        const reading = a.readSource()
        b.write(b.chunk(100))
        await a.until('the first bytes', () => a.bytes === 100)
        a.destroy()
        await within(reading, 'a\'s source to end')
        a.assertReceived(100)

        const [c, d] = await pair()
        d.attach()
        c.destroy()
        await within(c.readSource(), 'c\'s source, first read after destroy(), to end')
        await within(c.duplex.closed, 'c.closed')
        for (const side of [a, b, c, d]) side.assertNoFaults()
      })

      test('destroy() twice, and after end(): onClose once on each side', async () => {
        const [a, b] = await pair()
        a.attach()
        b.attach()
        a.end()
        a.destroy()
        a.destroy()
        await a.untilClosed('push')
        await b.until('b to see the end', () => b.ends > 0 || b.closes > 0)
        b.destroy()
        b.destroy()
        await b.untilClosed('push')
        await turn()
        await turn()
        assert.equal(a.closes, 1)
        assert.equal(b.closes, 1)
        a.assertNoFaults()
        b.assertNoFaults()
      })
    })

    describe('source', () => {
      for (const x of LABELS) {
        const y = x === 'a' ? 'b' : 'a'
        for (const formX of FORMS) {
          test(`${x} (${formX}) reading when ${y} resets the connection: the source ends without throwing (push: onClose once), having received what was sent`, async () => {
            const [sx, sy] = await pair(x)
            const reading = start(sx, formX)
            sy.attach()
            await within(sy.writeAll([64 * KiB]), `${y} to write`)
            await sx.until('what was sent', () => sx.bytes === 64 * KiB)
            reset(sy.duplex)
            await within(reading, `${x}'s source to end`)
            await sx.untilClosed(formX)
            await turn()
            if (formX === 'push') assert.equal(sx.closes, 1)
            sx.assertReceived(64 * KiB)
            sx.assertNoFaults()
          })
        }

        test(`breaking out of for await over ${x}'s source pauses reading (${y}'s writes back up) and leaves the write side usable (a goodbye reaches ${y})`, async () => {
          const [sx, sy] = await pair(x)
          sy.attach()
          sy.write(sy.chunk(1000))
          await within((async () => {
            for await (const chunk of sx.duplex.source) {
              sx.receive(chunk)
              break
            }
          })(), `the first chunk on ${x}'s source`)
          assert.ok(sx.bytes > 0)
          await sy.fill() // fails if x went on reading
          await within(sx.send('pull', [300]), `${x}'s goodbye`)
          await sy.untilEnd(300)
          sx.assertNoFaults()
          sy.assertNoFaults()
        })
      }
    })

    describe('attach() after close', () => {
      test('attach() after destroy() and closed: onClose once', async () => {
        const [a, b] = await pair()
        b.attach()
        a.destroy()
        await within(a.duplex.closed, 'a.closed')
        a.attach()
        await a.until('onClose', () => a.closes > 0)
        await turn()
        await turn()
        assert.equal(a.closes, 1)
        a.assertNoFaults()
      })

      test('a second attach() throws (a duplex has one owner), and so does the pull form after attach()', async () => {
        const [a, b] = await pair()
        a.attach()
        b.attach()
        const noop = { onData () {}, onEnd () {}, onDrain () {}, onClose () {} }
        assert.throws(() => { a.duplex.attach(noop) }, /attached already/)
        assert.throws(() => { void a.duplex.source }, /attached already/)
        a.assertNoFaults()
      })

      test('attach() in the same turn as destroy(): onClose once', async () => {
        const [a, b] = await pair()
        b.attach()
        a.destroy()
        a.attach()
        await a.untilClosed('push')
        await turn()
        await turn()
        assert.equal(a.closes, 1)
        a.assertNoFaults()
      })

      test('closed settles once onClose was called (closed first read after destroy())', async () => {
        const [a, b] = await pair()
        a.attach()
        b.attach()
        a.destroy()
        await within(a.duplex.closed, 'a.closed')
        assert.equal(a.closes, 1, 'a.closed settled before onClose was called')
        a.assertNoFaults()
      })
    })

    describe('odds and ends', () => {
      test('remoteAddress is a non-empty string on both sides', async () => {
        const [a, b] = await pair()
        for (const side of [a, b]) {
          assert.equal(typeof side.duplex.remoteAddress, 'string')
          assert.ok(side.duplex.remoteAddress.length > 0)
        }
      })

      test('write() after end() returns false, does not throw, and loses nothing written before: the peer gets every byte, then the end', async () => {
        const [a, b] = await pair()
        a.attach()
        b.attach()
        b.pause()
        await a.fill() // a holds bytes b has not taken yet
        a.end()
        assert.equal(a.write(new Uint8Array(10)), false)
        b.resume()
        await b.untilEnd(a.sent)
        b.end()
        await a.untilClosed('push')
        await b.untilClosed('push')
        a.assertNoFaults()
        b.assertNoFaults()
      })

      test('zero-length writes deliver nothing: no empty chunks', async () => {
        const [a, b] = await pair()
        a.attach()
        b.attach()
        a.write(new Uint8Array(0))
        a.write(a.chunk(3))
        a.write(new Uint8Array(0))
        a.end()
        await b.untilEnd(3)
        b.assertNoFaults()
      })

      test('no onDrain after end()', async () => {
        const [a, b] = await pair()
        a.attach()
        b.attach()
        b.pause()
        await a.fill() // a's last write said full: a drain is owed
        a.end()
        b.resume()
        await b.untilEnd(a.sent)
        b.end()
        await a.untilClosed('push')
        await turn()
        assert.equal(a.drainsAfterEnd, 0, 'onDrain came after end()')
        a.assertNoFaults()
      })
    })

    for (const title of Object.keys(todo)) {
      if (!titles.has(title)) throw new Error(`duplexCompliance(${name}): the todo entry "${title}" names no test`)
    }
  })
}
