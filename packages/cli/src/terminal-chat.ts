import { ChatError, WhoIsTyping } from '@chat/client'
import type { ChatClient, ChatMessage, PresenceEvent, StatusEvent } from '@chat/client'
import { typingText } from '@chat/strings'
import type { Translator } from '@chat/strings'
import { parseLine } from './line-commands.js'
import type { LineCommand, Target } from './line-commands.js'
import type { LineFormat } from './line-format.js'
import { ReadMarks } from './read-marks.js'

/** Where lines are printed: without breaking what the user is typing, on a terminal. */
export interface Printer {
  print: (line: string) => void
  /** The status line (who is typing where lines go now; '' for nothing): on a terminal, before the prompt. */
  status?: (text: string) => void
}

/** Messages shown when joining a room, and by a bare `/history`. */
export const HISTORY_ON_JOIN = 20

/**
 * One person chatting at a terminal: what each typed line does, and how what
 * arrives is shown. Knows nothing of stdin or argv (bin.ts does).
 */
export class TerminalChat {
  private target: Target | undefined
  /** Whoever sent us the last direct message: `/r` answers them. */
  private lastDirectFrom: string | undefined
  /** The rooms we are in, in the order we joined them. */
  private readonly rooms = new Set<string>()
  /** Live messages of a room held while its recent history is being shown, so nothing prints out of order or twice. */
  private readonly catchingUp = new Map<string, ChatMessage[]>()
  /** Who is typing where: the status line shows those typing where lines go now. */
  private readonly typists = new WhoIsTyping(() => { this.showStatus() })
  private status = ''
  /** What was printed, marked read (registered users). */
  private readonly readMarks: ReadMarks

  constructor (private readonly client: ChatClient, private readonly words: Translator, private readonly format: LineFormat, private readonly out: Printer) {
    this.readMarks = new ReadMarks(client)
  }

  /** Shows what arrives (messages, presence, connection changes) until the client closes. */
  async follow (): Promise<void> {
    // Each ends when the client closes (with the error that closed it: the status line has said it).
    await Promise.all([this.followMessages(), this.followEvents(), this.followStatus()].map(async loop => { await loop.catch(() => {}) }))
    this.typists.close()
  }

  /** The user is leaving: what was printed is marked read before the client closes. */
  async finish (): Promise<void> {
    await this.readMarks.close()
  }

  /**
   * The line being typed, as it is now (on a terminal, after each key):
   * text says we are typing where lines go, an empty line that we stopped.
   * A command is not typing.
   */
  typed (line: string): void {
    const target = this.target
    if (target === undefined) return
    const text = line.trimStart()
    const typing = text !== '' && !text.startsWith('/') && !text.startsWith('to:')
    this.client.typing('room' in target ? target.room : { to: target.user }, typing)
  }

  /** Runs one typed line; false once the user wants to leave. */
  async handle (line: string): Promise<boolean> {
    const command = parseLine(line)
    if (command.type === 'quit') return false
    try {
      await this.run(command)
    } catch (err) {
      this.problem(err)
    }
    return true
  }

  /** Joins a room, shows its last messages, and talks there from then on. */
  async join (room: string): Promise<void> {
    const held: ChatMessage[] = []
    this.catchingUp.set(room, held)
    try {
      const joined = await this.client.join(room)
      this.rooms.add(joined.room)
      const others = joined.members.filter(member => member !== this.client.username)
      this.notice(joined.truncated === true
        ? this.words.t('room.joinedBig', { room: joined.room })
        : others.length === 0 ? this.words.t('room.joinedAlone', { room: joined.room }) : this.words.t('room.joined', { room: joined.room, members: others.join(', ') }))
      // A registered user's read marker (absent for guests and on servers without markers).
      if (joined.unread !== undefined && joined.unread > 0) this.notice(this.words.t('room.unread', { room: joined.room, count: joined.unread }))
      const shown = await this.showHistory({ room: joined.room }, HISTORY_ON_JOIN, false)
      this.catchingUp.delete(room)
      for (const msg of held) if (msg.id > shown) this.show(msg)
      this.target = { room: joined.room }
      this.showStatus()
    } finally {
      if (this.catchingUp.get(room) === held) {
        this.catchingUp.delete(room)
        for (const msg of held) this.show(msg)
      }
    }
  }

  private async run (command: Exclude<LineCommand, { type: 'quit' }>): Promise<void> {
    switch (command.type) {
      case 'say': return await this.say(command.text)
      case 'to': return this.retarget(command.target)
      case 'dm':
        if (command.to === undefined) return this.notice(this.words.t('command.needsUser', { command: '/dm' }))
        if (command.text === '') return this.notice(this.words.t('command.needsText', { command: '/dm' }))
        return await this.direct(command.to, command.text)
      case 'reply':
        if (this.lastDirectFrom === undefined) return this.notice(this.words.t('reply.nobody'))
        if (command.text === '') return this.notice(this.words.t('command.needsText', { command: '/r' }))
        return await this.direct(this.lastDirectFrom, command.text)
      case 'join':
        if (command.room === undefined) return this.notice(this.words.t('command.needsRoom', { command: '/join' }))
        return await this.join(command.room)
      case 'leave': return await this.leave(command.room ?? this.currentRoom())
      case 'rooms': return await this.listRooms()
      case 'members': {
        const room = command.room ?? this.currentRoom()
        if (room === undefined) return this.notice(this.words.t('command.needsRoom', { command: '/members' }))
        const members = await this.client.members(room)
        return this.notice(this.words.t('room.members', { room, members: members.join(', ') }))
      }
      case 'history':
        if (command.bad) return this.notice(this.words.t('command.needsNumber', { command: '/history' }))
        if (this.target === undefined) return this.notice(this.words.t('target.none'))
        await this.showHistory(this.target, command.count ?? HISTORY_ON_JOIN, true)
        return
      case 'help': return this.out.print(this.words.t('help'))
      case 'unknown': return this.notice(this.words.t('command.unknown', { command: command.command }))
    }
  }

  private async say (text: string): Promise<void> {
    const target = this.target
    if (target === undefined) return this.notice(this.words.t('target.none'))
    if ('room' in target) await this.client.send(target.room, text) // it comes back to us like to everyone
    else await this.direct(target.user, text)
  }

  /** A direct message; the server does not echo those to their sender, so it is shown here, with the server's time. */
  private async direct (to: string, text: string): Promise<void> {
    const ack = await this.client.dm(to, text)
    this.out.print(this.format.message({ from: this.client.username, to, text, ts: ack.ts }))
    this.readMarks.shown({ with: to }, ack.id)
    if (ack.stored === true) this.notice(this.words.t('dm.stored', { user: to }))
  }

  private retarget (target: Target | undefined): void {
    if (target === undefined) {
      this.notice(this.describeTarget())
    } else if ('room' in target && !this.rooms.has(target.room)) {
      this.notice(this.words.t('room.notIn', { room: target.room }))
    } else {
      this.target = target
      this.notice(this.describeTarget())
      this.showStatus()
    }
  }

  private describeTarget (): string {
    const target = this.target
    if (target === undefined) return this.words.t('target.none')
    return 'room' in target ? this.words.t('target.room', { room: target.room }) : this.words.t('target.user', { user: target.user })
  }

  private currentRoom (): string | undefined {
    return this.target !== undefined && 'room' in this.target ? this.target.room : undefined
  }

  private async leave (room: string | undefined): Promise<void> {
    if (room === undefined) return this.notice(this.words.t('command.needsRoom', { command: '/leave' }))
    await this.client.leave(room)
    this.rooms.delete(room)
    this.notice(this.words.t('room.left', { room }))
    if (this.currentRoom() === room) {
      // Talk in the room joined last of those left, rather than nowhere.
      const remaining = [...this.rooms].at(-1)
      this.target = remaining === undefined ? undefined : { room: remaining }
      this.notice(this.describeTarget())
      this.showStatus()
    }
  }

  private async listRooms (): Promise<void> {
    const rooms = await this.client.rooms()
    if (rooms.length === 0) return this.notice(this.words.t('room.listEmpty'))
    this.notice(this.words.t('room.list'))
    for (const { room, members } of rooms) this.out.print(`  ${this.words.t('room.listItem', { room, count: members })}`)
  }

  /** Prints the last `count` messages of a room or conversation; returns the newest id shown (0 for none). */
  private async showHistory (of: Target, count: number, sayWhenEmpty: boolean): Promise<number> {
    const page = 'room' in of ? await this.client.history(of.room, { limit: count }) : await this.client.history({ with: of.user }, { limit: count })
    if (page.messages.length === 0) {
      if (sayWhenEmpty) this.notice(this.words.t('history.empty'))
      return 0
    }
    this.notice('room' in of ? this.words.t('history.room', { room: of.room }) : this.words.t('history.with', { user: of.user }))
    if (page.gone === true && page.next === undefined) this.notice(this.words.t('history.gone'))
    for (const msg of page.messages) this.out.print(this.format.message(msg))
    const newest = page.messages.at(-1)!.id
    this.readMarks.shown('room' in of ? of.room : { with: of.user }, newest)
    return newest
  }

  private show (msg: ChatMessage): void {
    this.out.print(this.format.message(msg))
    const other = msg.from === this.client.username ? msg.to : msg.from
    this.readMarks.shown(msg.room ?? { with: other ?? msg.from }, msg.id)
  }

  /** The status line: who is typing where lines go now. */
  private showStatus (): void {
    const target = this.target
    const users = target === undefined ? [] : this.typists.in('room' in target ? target.room : { with: target.user })
    const status = typingText(this.words, users)
    if (status === this.status) return
    this.status = status
    this.out.status?.(status)
  }

  private async followMessages (): Promise<void> {
    for await (const msg of this.client.messages()) {
      this.typists.message(msg)
      if (msg.to !== undefined && msg.from !== this.client.username) this.lastDirectFrom = msg.from
      const held = msg.room === undefined ? undefined : this.catchingUp.get(msg.room)
      if (held !== undefined) held.push(msg)
      else this.show(msg)
    }
  }

  private async followEvents (): Promise<void> {
    for await (const event of this.client.events({ types: ['join', 'leave', 'typing'] })) {
      this.typists.event(event)
      if (event.type !== 'typing') this.notice(this.presence(event))
    }
  }

  private presence (event: PresenceEvent): string {
    const params = { user: event.user, room: event.room }
    if (event.type === 'join') return this.words.t('presence.join', params)
    if (event.reason === 'quit') return this.words.t('presence.quit', params)
    if (event.reason === 'disconnected') return this.words.t('presence.disconnected', params)
    return this.words.t('presence.left', params)
  }

  private async followStatus (): Promise<void> {
    for await (const status of this.client.status()) {
      // Whoever was typing is told again at their next refresh, once we are back.
      if (status.type === 'disconnect') this.typists.clear()
      const line = this.connection(status)
      if (line !== undefined) this.notice(line)
    }
  }

  private connection (status: StatusEvent): string | undefined {
    switch (status.type) {
      case 'disconnect': return this.words.t('connection.lost', { reason: this.words.error(status.error.code) })
      case 'reconnecting': return status.attempt > 1 ? this.words.t('connection.reconnecting', { attempt: status.attempt }) : undefined
      case 'reconnect': return this.words.t('connection.back')
      case 'close': return status.error === undefined ? undefined : this.words.t('connection.closed', { reason: this.words.error(status.error.code) })
      default: return undefined
    }
  }

  private notice (text: string): void {
    this.out.print(this.format.notice(text))
  }

  private problem (err: unknown): void {
    this.out.print(this.format.problem(err instanceof ChatError ? this.words.error(err.code) : String(err)))
  }
}
