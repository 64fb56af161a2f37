import { useState } from 'preact/hooks'
import type { RefObject } from 'preact'
import { directKey, roomKey } from './conversation.js'
import type { ConversationKey } from './conversation.js'
import type { ChatSession } from './session.js'
import { useWords } from './words.js'

interface ComposerProps {
  session: ChatSession
  input: RefObject<HTMLTextAreaElement | null>
  onOpen: (key: ConversationKey) => void
  onOpenDirect: (user: string) => void
  onReply: () => void
}

interface Target {
  key: ConversationKey
  label: string
  /** A person's name, for a conversation not started yet. */
  user?: string
}

/** Where a line can go: our rooms, then the people we talk with and those in the open room. */
function targets (session: ChatSession, words: ReturnType<typeof useWords>): Target[] {
  const list: Target[] = session.joined.map(room => ({ key: roomKey(room), label: words.t('web.toRoom', { room }) }))
  const people = new Map<ConversationKey, string>()
  for (const conversation of session.directs) people.set(conversation.key, conversation.name)
  const current = session.conversation(session.current)
  const me = directKey(session.me)
  if (current?.kind === 'room') {
    for (const member of session.members.get(current.name) ?? []) {
      const key = directKey(member)
      if (key !== me && !people.has(key)) people.set(key, member)
    }
  }
  for (const [key, user] of people) list.push({ key, label: words.t('web.toUser', { user }), user })
  return list
}

/**
 * The line being typed, and where it goes: the "to" selector (the terminal's
 * /to: choosing someone opens the conversation with them), a reply to whoever
 * wrote last, Enter to send, Shift+Enter for a new line.
 */
export function Composer ({ session, input, onOpen, onOpenDirect, onReply }: ComposerProps) {
  const words = useWords()
  const [draft, setDraft] = useState('')
  const current = session.conversation(session.current)
  const options = targets(session, words)

  const submit = async (): Promise<void> => {
    const text = draft
    if (current === undefined || text.trim() === '') return
    setDraft('')
    // Refused: the line comes back to be sent again, unless something else was typed meanwhile.
    if (!(await session.send(text))) setDraft(typed => typed === '' ? text : typed)
  }

  const last = session.lastDirectFrom
  return (
    <form class="composer" onSubmit={event => { event.preventDefault(); void submit() }}>
      <div class="composer-bar">
        <label class="to">
          <span>{words.t('web.to')}</span>
          <select
            value={session.current ?? ''}
            disabled={options.length === 0}
            onChange={event => {
              const chosen = options.find(option => option.key === event.currentTarget.value)
              if (chosen === undefined) return
              if (chosen.user !== undefined) onOpenDirect(chosen.user)
              else onOpen(chosen.key)
            }}
          >
            {current === undefined && <option value="" />}
            {options.map(option => <option key={option.key} value={option.key}>{option.label}</option>)}
          </select>
        </label>
        <button type="button" class="reply" aria-keyshortcuts="Alt+R" title={words.t('web.replyHint')} onClick={onReply}>
          {last === undefined ? words.t('web.replyNobody') : words.t('web.reply', { user: last })}
        </button>
      </div>
      <div class="composer-input">
        <textarea
          ref={input}
          name="message"
          rows={1}
          aria-label={words.t('web.message')}
          aria-describedby="composer-hint"
          placeholder={current === undefined ? '' : words.t(current.kind === 'room' ? 'web.placeholderRoom' : 'web.placeholderUser', { room: current.name, user: current.name })}
          disabled={current === undefined}
          value={draft}
          onInput={event => {
            setDraft(event.currentTarget.value)
            session.typed(event.currentTarget.value)
          }}
          onKeyDown={event => {
            // Enter sends; Shift+Enter is a new line; Enter that ends an input method's composition (Chinese, Japanese…) only ends it.
            if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229) return
            event.preventDefault()
            void submit()
          }}
        />
        <button type="submit" class="send" disabled={current === undefined}>{words.t('web.send')}</button>
      </div>
      <p id="composer-hint" class="hint">{words.t('web.composerHint')}</p>
    </form>
  )
}
