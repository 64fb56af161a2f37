import { copyAscii } from '../copy-ascii.js'
import type { StoredMessage, StreamKey, TextBytes } from './store.js'

/** Rows a segment holds at most: it starts small and doubles up to this, then the next segment starts. */
const SEGMENT_ROWS = 4096
const FIRST_SEGMENT_ROWS = 16
const FIRST_DATA_BYTES = 1024
/** A new full segment's texts start with the room the last one's took, up to this (then it doubles). */
const MOST_FIRST_DATA_BYTES = 4 * 1024 * 1024
/** A message's room or recipient: none, or an index into the stream's names, tagged. */
const NO_PLACE = 0xffffffff

/**
 * Up to `SEGMENT_ROWS` rows of one stream: ids, timestamps and the indices
 * of their names in typed arrays, the texts' UTF-8 bytes one after the
 * other in one buffer. Nothing per message is a JavaScript object.
 */
class Segment {
  ids: Float64Array
  ts: Float64Array
  /** Index of the sender's name in the stream's names. */
  froms: Uint32Array
  /** `2 × name index` for a room, `2 × name index + 1` for a recipient (`to`), or NO_PLACE. */
  places: Uint32Array
  /** Where each text ends in `data` (each starts where the one before it ends). */
  ends: Uint32Array
  data: Buffer
  count = 0
  used = 0

  constructor (rows: number, dataBytes: number) {
    this.ids = new Float64Array(rows)
    this.ts = new Float64Array(rows)
    this.froms = new Uint32Array(rows)
    this.places = new Uint32Array(rows)
    this.ends = new Uint32Array(rows)
    this.data = Buffer.allocUnsafe(dataBytes)
  }

  get capacity (): number {
    return this.ids.length
  }

  /** Doubles the rows it can hold (only while small: then a new segment starts). */
  growRows (): void {
    const rows = this.capacity * 2
    this.ids = grown(this.ids, new Float64Array(rows))
    this.ts = grown(this.ts, new Float64Array(rows))
    this.froms = grown(this.froms, new Uint32Array(rows))
    this.places = grown(this.places, new Uint32Array(rows))
    this.ends = grown(this.ends, new Uint32Array(rows))
  }

  /** Room for `bytes` more bytes of text. */
  reserve (bytes: number): void {
    if (this.used + bytes <= this.data.length) return
    const data = Buffer.allocUnsafe(Math.max(this.data.length * 2, this.used + bytes))
    this.data.copy(data, 0, 0, this.used)
    this.data = data
  }

  start (row: number): number {
    return row === 0 ? 0 : this.ends[row - 1]
  }
}

function grown<T extends Float64Array | Uint32Array> (from: T, to: T): T {
  to.set(from)
  return to
}

/**
 * The messages of one stream, in id order, as encoded rows (`Segment`s):
 * a memory store holding millions of messages holds a few buffers per
 * 4,096 of them, not millions of objects for the garbage collector to copy
 * and mark. Reads make `StoredMessage` objects of the rows they return.
 */
export class MessageRows {
  lastId = 0
  floor = 0
  private readonly segments: Segment[] = [new Segment(FIRST_SEGMENT_ROWS, FIRST_DATA_BYTES)]
  /** Rows of the first segment removed by retention. */
  private head = 0
  /** Names of senders, rooms and recipients in this stream, each once; and their indices. */
  private readonly names: string[] = []
  private readonly nameIndex = new Map<string, number>()
  /** A commit's messages come in runs of one sender, in one place: the last ones' indices are kept at hand. */
  private lastFrom: string | undefined
  private lastFromIndex = 0
  private lastRoom: string | undefined
  private lastRoomIndex = 0

  constructor (readonly stream: StreamKey) {}

  /** Rows held. */
  size = 0

  /** Appends a message (ids only grow within a stream); its text from `textBytes` if they are at hand. */
  append (message: StoredMessage, textBytes?: TextBytes): void {
    let segment = this.segments[this.segments.length - 1]
    if (segment.count === segment.capacity) {
      if (segment.capacity < SEGMENT_ROWS) segment.growRows()
      else this.segments.push(segment = new Segment(SEGMENT_ROWS, Math.max(FIRST_DATA_BYTES, Math.min(segment.used, MOST_FIRST_DATA_BYTES))))
    }
    const { text } = message
    const source = textBytes?.bytes
    const bytes = source !== undefined ? textBytes!.end - textBytes!.start : Buffer.byteLength(text, 'utf8')
    segment.reserve(bytes)
    const row = segment.count
    segment.ids[row] = message.id
    segment.ts[row] = message.ts
    if (message.from !== this.lastFrom) {
      this.lastFrom = message.from
      this.lastFromIndex = this.nameOf(message.from)
    }
    segment.froms[row] = this.lastFromIndex
    if (message.room !== undefined) {
      if (message.room !== this.lastRoom) {
        this.lastRoom = message.room
        this.lastRoomIndex = 2 * this.nameOf(message.room)
      }
      segment.places[row] = this.lastRoomIndex
    } else {
      segment.places[row] = message.to !== undefined ? 2 * this.nameOf(message.to) + 1 : NO_PLACE
    }
    if (source !== undefined && bytes === text.length) {
      // ASCII bytes (as many as characters), copied as they came.
      segment.used = copyAscii(source, textBytes!.start, textBytes!.end, segment.data, segment.used)
    } else if (source !== undefined) {
      segment.used += Buffer.prototype.copy.call(source, segment.data, segment.used, textBytes!.start, textBytes!.end)
    } else {
      // ASCII (a byte per character) is the common case: latin1 writes it without a UTF-8 encoder.
      segment.used += segment.data.write(text, segment.used, bytes === text.length ? 'latin1' : 'utf8')
    }
    segment.ends[row] = segment.used
    segment.count++
    this.size++
    if (message.id > this.lastId) this.lastId = message.id
  }

  /** Up to `limit` messages with id > `after`, oldest first. */
  readAfter (after: number, limit: number): StoredMessage[] {
    return this.read(this.firstAbove(after), limit)
  }

  /** Up to `limit` newest messages with id < `before` (or the newest), oldest first. */
  readBefore (before: number | undefined, limit: number): StoredMessage[] {
    const end = before === undefined ? this.size : this.firstAbove(before - 1)
    const start = Math.max(0, end - limit)
    return this.read(start, end - start)
  }

  /** The message with this id, if held. */
  find (id: number): StoredMessage | undefined {
    const at = this.firstAbove(id - 1)
    const [message] = this.read(at, 1)
    return message?.id === id ? message : undefined
  }

  /** Removes the oldest `count` messages (retention); the floor moves to the last one removed. */
  removeOldest (count: number): void {
    count = Math.min(count, this.size)
    if (count <= 0) return
    const [segment, row] = this.locate(count - 1)
    this.floor = Math.max(this.floor, segment.ids[row])
    this.head += count
    this.size -= count
    while (this.segments.length > 1 && this.head >= this.segments[0].count) {
      this.head -= this.segments[0].count
      this.segments.shift()
    }
    if (this.head > 0 && this.head === this.segments[0].count) {
      // Everything went: the one segment left starts again, small.
      this.segments[0] = new Segment(FIRST_SEGMENT_ROWS, FIRST_DATA_BYTES)
      this.head = 0
    }
  }

  /** How many of the oldest messages have a timestamp below `cutoff` (ts are not ordered: the last such one counts). */
  countOlderThan (cutoff: number): number {
    let cut = 0
    let index = 0
    for (let s = 0; s < this.segments.length; s++) {
      const segment = this.segments[s]
      for (let row = s === 0 ? this.head : 0; row < segment.count; row++, index++) {
        if (segment.ts[row] < cutoff) cut = index + 1
      }
    }
    return cut
  }

  /** Index (counted from the oldest row held) of the first message with id > `id`. */
  private firstAbove (id: number): number {
    let low = 0
    let high = this.size
    while (low < high) {
      const mid = (low + high) >>> 1
      const [segment, row] = this.locate(mid)
      if (segment.ids[row] <= id) low = mid + 1
      else high = mid
    }
    return low
  }

  /** The segment and row of the message at `index` (counted from the oldest row held). Every segment but the last is full. */
  private locate (index: number): [Segment, number] {
    const row = index + this.head
    const s = Math.min(Math.floor(row / SEGMENT_ROWS), this.segments.length - 1)
    return [this.segments[s], row - s * SEGMENT_ROWS]
  }

  private read (start: number, limit: number): StoredMessage[] {
    const end = Math.min(this.size, start + limit)
    const messages: StoredMessage[] = []
    if (start >= end) return messages
    let [segment, row] = this.locate(start)
    let s = this.segments.indexOf(segment)
    for (let i = start; i < end; i++) {
      if (row === segment.count) {
        segment = this.segments[++s]
        row = 0
      }
      messages.push(this.message(segment, row))
      row++
    }
    return messages
  }

  private message (segment: Segment, row: number): StoredMessage {
    const message: StoredMessage = {
      stream: this.stream,
      id: segment.ids[row],
      from: this.names[segment.froms[row]],
      text: segment.data.toString('utf8', segment.start(row), segment.ends[row]),
      ts: segment.ts[row]
    }
    const place = segment.places[row]
    if (place !== NO_PLACE) {
      if ((place & 1) === 0) message.room = this.names[place >>> 1]
      else message.to = this.names[place >>> 1]
    }
    return message
  }

  private nameOf (name: string): number {
    let index = this.nameIndex.get(name)
    if (index === undefined) {
      index = this.names.length
      this.names.push(name)
      this.nameIndex.set(name, index)
    }
    return index
  }
}
