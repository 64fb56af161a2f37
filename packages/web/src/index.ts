// Where the built web page is, for a server to serve it (@chat/server does, at `/` on its HTTP port).
import { fileURLToPath } from 'node:url'

/** The folder of the built page (`build/` in this package): absent until `pnpm build` (or the package's prepack) ran. */
export const webRoot: string = fileURLToPath(new URL('../../build/', import.meta.url))

/** The page's files in `webRoot`: `index.html` (served at `/`) loads the other two from the same origin. */
export const WEB_FILES = ['index.html', 'app.js', 'app.css'] as const

export type WebFile = typeof WEB_FILES[number]
