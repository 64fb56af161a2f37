import { createContext } from 'preact'
import { useContext } from 'preact/hooks'
import { translator } from '@chat/strings'
import type { Translator } from '@chat/strings'

/** The words of the page's language, for every component below the app. */
export const Words = createContext<Translator>(translator('en'))

export function useWords (): Translator {
  return useContext(Words)
}
