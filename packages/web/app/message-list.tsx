import { useLayoutEffect, useRef } from 'preact/hooks'
import type { ChatMessage } from '@chat/client'
import type { Conversation } from './conversation.js'
import type { ChatSession } from './session.js'
import { clockTime, dayLabel, localDay, LOCALES } from './time-format.js'
import { useWords } from './words.js'

/** Closer to the top than this (px) reads the page before; closer to the bottom keeps the view at the newest. */
const EDGE = 80

interface ListProps {
  session: ChatSession
  conversation: Conversation
}

/**
 * The open conversation's messages with a separator for each day, the lines
 * being sent, and older pages read as it is scrolled up (or with the
 * button, for keyboards). Text is text: Preact sets it as a text node.
 */
export function MessageList ({ session, conversation }: ListProps) {
  const words = useWords()
  const scroller = useRef<HTMLDivElement | null>(null)
  /** At the newest message: new ones keep it there. */
  const atBottom = useRef(true)
  /** Distance from the bottom at the last scroll, to keep what is on screen in place when older messages come in above. */
  const fromBottom = useRef(0)
  const firstShown = useRef<ChatMessage | undefined>(undefined)
  const first = conversation.messages[0]

  const readOlder = (): void => {
    if (conversation.older === 'more' && !conversation.loading) void session.loadOlder(conversation.key)
  }

  useLayoutEffect(() => {
    const view = scroller.current
    if (view === null) return
    if (atBottom.current) view.scrollTop = view.scrollHeight
    else if (first !== firstShown.current) view.scrollTop = view.scrollHeight - fromBottom.current
    firstShown.current = first
    // Too few to scroll with more on the server: read on.
    if (view.scrollHeight <= view.clientHeight) readOlder()
  })

  const onScroll = (): void => {
    const view = scroller.current
    if (view === null) return // a scroll that was on its way when the conversation closed
    fromBottom.current = view.scrollHeight - view.scrollTop
    atBottom.current = view.scrollHeight - view.scrollTop - view.clientHeight < EDGE
    session.setAtNewest(atBottom.current)
    if (view.scrollTop < EDGE) readOlder()
  }

  const me = session.me.toLowerCase()
  const now = Date.now()
  const dateTitle = new Intl.DateTimeFormat(LOCALES[words.lang], { dateStyle: 'full', timeStyle: 'short' })
  const items = []
  let day: string | undefined
  for (const msg of conversation.messages) {
    const thisDay = localDay(msg.ts)
    if (thisDay !== day) {
      day = thisDay
      const label = dayLabel(msg.ts, now, words.lang)
      items.push(<li key={`day ${thisDay}`} class="day"><span>{'date' in label ? label.date : words.t(label.relative === 'today' ? 'web.today' : 'web.yesterday')}</span></li>)
    }
    const mine = msg.from.toLowerCase() === me
    items.push(
      <li key={`${msg.id}:${msg.ts}`} class={mine ? 'msg mine' : 'msg'} data-id={msg.id}>
        <div class="meta">
          <span class="from">{mine ? words.t('web.fromYou', { user: msg.from }) : msg.from}</span>
          <time dateTime={new Date(msg.ts).toISOString()} title={dateTitle.format(msg.ts)}>{clockTime(msg.ts)}</time>
        </div>
        <div class="text">{msg.text}</div>
      </li>
    )
  }
  for (const line of conversation.pending) {
    items.push(
      <li key={`pending ${line.id}`} class="msg mine pending" aria-busy="true">
        <div class="meta">
          <span class="from">{words.t('web.fromYou', { user: session.me })}</span>
          <span class="sending">{words.t('web.sending')}</span>
        </div>
        <div class="text">{line.text}</div>
      </li>
    )
  }

  const label = conversation.kind === 'room' ? words.t('web.messagesRoom', { room: conversation.name }) : words.t('web.messagesWith', { user: conversation.name })
  return (
    <div class="messages" ref={scroller} onScroll={onScroll} role="log" aria-label={label} tabIndex={0}>
      <div class="history-edge">
        {conversation.older === 'more' && (
          <button type="button" class="older" disabled={conversation.loading} onClick={readOlder}>
            {conversation.loading ? words.t('web.loading') : words.t('web.loadOlder')}
          </button>
        )}
        {conversation.older === 'none' && (
          <p class="start">{conversation.kind === 'room' ? words.t('web.startRoom', { room: conversation.name }) : words.t('web.startWith', { user: conversation.name })}</p>
        )}
        {conversation.gone && <p class="start">{words.t('history.gone')}</p>}
        {conversation.older === 'unknown' && conversation.loading && <p class="start">{words.t('web.loading')}</p>}
      </div>
      <ol class="lines">{items}</ol>
    </div>
  )
}
