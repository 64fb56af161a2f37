import { typingText } from '@chat/strings'
import { useWords } from './words.js'

/** "ann is typing…" under the messages: always there (empty when nobody types), so the layout does not jump and screen readers hear it politely. */
export function TypingLine ({ users }: { users: string[] }) {
  const words = useWords()
  return <p class="typing" aria-live="polite">{typingText(words, users)}</p>
}
