import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { clockTime, dayLabel, localDay } from '../app/time-format.js'

const at = (year: number, month: number, day: number, hours = 12, minutes = 0): number => new Date(year, month - 1, day, hours, minutes).getTime()

describe('times and days in the page', () => {
  it('writes local times as HH:MM and days as YYYY-MM-DD', () => {
    assert.equal(clockTime(at(2026, 11, 30, 9, 5)), '09:05')
    assert.equal(clockTime(at(2026, 11, 30, 18, 42)), '18:42')
    assert.equal(localDay(at(2026, 1, 2, 23, 59)), '2026-01-02')
    assert.equal(localDay(at(2026, 1, 3, 0, 0)), '2026-01-03')
  })

  it('labels a day separator today, yesterday, or with the date in the language', () => {
    const now = at(2026, 12, 2, 10)
    assert.deepEqual(dayLabel(at(2026, 12, 2, 0, 1), now, 'en'), { relative: 'today' })
    assert.deepEqual(dayLabel(at(2026, 12, 1, 23, 59), now, 'en'), { relative: 'yesterday' })
    // The words come from the ICU of the runtime (Node's here, the browser's in the page): their shape, not every comma.
    const date = (ts: number, lang: 'en' | 'zh'): string => {
      const label = dayLabel(ts, now, lang)
      assert.ok('date' in label, `${new Date(ts).toString()} is neither today nor yesterday`)
      return label.date
    }
    assert.match(date(at(2026, 11, 30), 'en'), /^Monday,? 30 November$/)
    assert.match(date(at(2026, 11, 30), 'zh'), /^11月30日星期一$/)
    assert.match(date(at(2025, 11, 30), 'en'), /^Sunday,? 30 November 2025$/, 'another year says which')
    assert.match(date(at(2025, 11, 30), 'zh'), /^2025年11月30日星期日$/)
    assert.deepEqual(dayLabel(at(2026, 1, 1), at(2026, 1, 2), 'en'), { relative: 'yesterday' })
    assert.deepEqual(dayLabel(at(2025, 12, 31), at(2026, 1, 1), 'en'), { relative: 'yesterday' }, 'across a new year')
  })
})
