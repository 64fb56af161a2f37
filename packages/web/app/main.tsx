// The page's entry: esbuild bundles this (and styles.css) into build/app.js and build/app.css.
import { render } from 'preact'
import { App } from './app.js'
import './styles.css'

render(<App />, document.getElementById('app')!)
