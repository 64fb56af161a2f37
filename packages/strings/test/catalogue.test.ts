import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ErrorCodes } from '@chat/protocol'
import { en, enErrors, LANGUAGES, pickLanguage, translator, zh, zhErrors } from '../src/index.js'

const catalogues = { en, zh } as const
const errorTexts = { en: enErrors, zh: zhErrors } as const
const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map(m => m[1]).sort()

describe('the string catalogue', () => {
  it('has every key in every language, with the same placeholders, and no untranslated English', () => {
    for (const lang of LANGUAGES) {
      const strings: Record<string, string> = catalogues[lang]
      assert.deepEqual(Object.keys(strings).sort(), Object.keys(en).sort(), `${lang} has exactly the English keys`)
      for (const [key, text] of Object.entries(en)) {
        assert.ok(strings[key].trim() !== '', `${lang} ${key} is not empty`)
        assert.deepEqual(placeholders(strings[key]), placeholders(text), `${lang} ${key} takes the same parameters`)
        if (lang !== 'en') assert.notEqual(strings[key], text, `${lang} ${key} is translated`)
      }
    }
  })

  it('has a text for every error code the protocol defines, in every language', () => {
    for (const lang of LANGUAGES) {
      const texts: Record<string, string> = errorTexts[lang]
      for (const code of Object.values(ErrorCodes)) assert.ok((texts[code] ?? '').trim() !== '', `${lang} explains ${code}`)
      assert.deepEqual(Object.keys(texts).sort(), Object.values(ErrorCodes).sort(), `${lang} explains no code that does not exist`)
    }
  })

  it('fills parameters, and says an unknown error code in words with the code', () => {
    const t = translator('zh')
    assert.equal(t.t('room.left', { room: 'general' }), '你已离开 #general。')
    assert.equal(translator('en').t('room.left', { room: 'general' }), 'You left #general.')
    assert.equal(t.error('name_taken'), '这个名字已被使用。')
    assert.equal(translator('en').error('no_such_code'), 'Something went wrong (no_such_code).')
  })

  it('picks the first supported language from browser tags or POSIX locales, else English', () => {
    assert.equal(pickLanguage(['zh-CN', 'en']), 'zh')
    assert.equal(pickLanguage(['fr-FR', 'zh-Hans-CN']), 'zh')
    assert.equal(pickLanguage(['zh_CN.UTF-8']), 'zh')
    assert.equal(pickLanguage(['en_US.UTF-8']), 'en')
    assert.equal(pickLanguage(['de', undefined, 'C']), 'en')
    assert.equal(pickLanguage([]), 'en')
  })
})
