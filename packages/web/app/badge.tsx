import { useWords } from './words.js'

/** How many messages are unread, for the eye and in words for a screen reader. */
export function Badge ({ count }: { count: number }) {
  const words = useWords()
  if (count === 0) return null
  return (
    <span class="badge">
      <span aria-hidden="true">{count}</span>
      <span class="sr">{words.t('web.unread', { count })}</span>
    </span>
  )
}
