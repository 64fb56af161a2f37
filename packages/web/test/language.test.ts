import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { initialLanguage, LANGUAGE_KEY, rememberLanguage } from '../app/language.js'
import type { KeyValueStorage } from '../app/language.js'
import { webSocketUrl } from '../app/server-url.js'

function memoryStorage (): KeyValueStorage {
  const items = new Map<string, string>()
  return { getItem: key => items.get(key) ?? null, setItem: (key, value) => { items.set(key, value) } }
}

describe('the page\'s language and server', () => {
  it('starts in the browser\'s language, else English, and then in the one chosen on this browser', () => {
    const storage = memoryStorage()
    assert.equal(initialLanguage(storage, ['zh-CN', 'en']), 'zh')
    assert.equal(initialLanguage(storage, ['fr-FR']), 'en')
    rememberLanguage(storage, 'zh')
    assert.equal(storage.getItem(LANGUAGE_KEY), 'zh')
    assert.equal(initialLanguage(storage, ['en-US']), 'zh', 'the choice wins over the browser')
    storage.setItem(LANGUAGE_KEY, 'klingon')
    assert.equal(initialLanguage(storage, ['en-US']), 'en', 'a stored value that is no language is ignored')
  })

  it('does without storage (turned off, or throwing)', () => {
    const throwing = { getItem: () => { throw new Error('denied') }, setItem: () => { throw new Error('denied') } }
    assert.equal(initialLanguage(throwing, ['zh-TW']), 'zh')
    assert.doesNotThrow(() => { rememberLanguage(throwing, 'en') })
    assert.equal(initialLanguage(undefined, []), 'en')
  })

  it('connects to /ws on its own origin, wss:// when the page came over https', () => {
    assert.equal(webSocketUrl({ protocol: 'http:', host: '127.0.0.1:7780' }), 'ws://127.0.0.1:7780/ws')
    assert.equal(webSocketUrl({ protocol: 'https:', host: 'chat.example.com' }), 'wss://chat.example.com/ws')
  })
})
