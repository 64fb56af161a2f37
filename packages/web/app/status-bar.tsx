import type { ChatSession } from './session.js'
import { useWords } from './words.js'

/** The connection, when it is not simply up ("Reconnecting…", "Back online."), and the last notice. */
export function StatusBar ({ session, onLoginAgain }: { session: ChatSession, onLoginAgain: () => void }) {
  const words = useWords()
  const state = session.connection
  let line = ''
  if (state.type === 'reconnecting') {
    line = state.attempt <= 1
      ? words.t('connection.lost', { reason: words.error(state.code) })
      : words.t('connection.reconnecting', { attempt: state.attempt })
  } else if (state.type === 'back') {
    line = words.t('connection.back')
  } else if (state.type === 'closed') {
    line = words.t('connection.closed', { reason: words.error(state.code ?? 'connection_closed') })
  }
  const notice = session.notice
  return (
    <div class="status">
      <div class={`connection ${state.type}`} role="status">
        {line}
        {state.type === 'closed' && <button type="button" onClick={onLoginAgain}>{words.t('web.loginAgain')}</button>}
      </div>
      {notice !== undefined && (
        <div class="notice" role="alert" key={notice.id}>
          <span>{'code' in notice ? words.error(notice.code) : words.t(notice.key, notice.params)}</span>
          <button type="button" class="icon" aria-label={words.t('web.dismiss')} onClick={() => { session.dismissNotice() }}>×</button>
        </div>
      )}
    </div>
  )
}
