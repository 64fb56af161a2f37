import { useEffect } from 'preact/hooks'

/** The tab's title while the calling component is shown. */
export function useTitle (title: string): void {
  useEffect(() => { document.title = title }, [title])
}
