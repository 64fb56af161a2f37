import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_TEXT_BYTES, isValidRoomName, isValidUsername, MAX_LENGTH_PREFIX_BYTES, PROTOCOL_VERSION,
  maxWebSocketMessageBytes, WEBSOCKET_PATH
} from '../src/index.js'

describe('limits', () => {
  it('has the documented constants', () => {
    assert.equal(PROTOCOL_VERSION, 1)
    assert.equal(DEFAULT_MAX_FRAME_BYTES, 64 * 1024)
    assert.equal(DEFAULT_MAX_TEXT_BYTES, 16 * 1024)
    assert.equal(MAX_LENGTH_PREFIX_BYTES, 5)
    assert.equal(WEBSOCKET_PATH, '/ws')
  })

  it('a WebSocket message may hold two whole frames, and never less than 64 KiB (§1)', () => {
    assert.equal(maxWebSocketMessageBytes(), 131_082)
    assert.equal(maxWebSocketMessageBytes(65_536), 131_082)
    assert.equal(maxWebSocketMessageBytes(1_000_000), 2_000_010)
    assert.equal(maxWebSocketMessageBytes(1024), 65_536)
  })

  it('usernames: 1-32 of A-Z a-z 0-9 _ . -, not starting with . or -', () => {
    for (const name of ['a', 'Alice', 'bob_42', '_x', '9lives', 'a.b-c', 'x'.repeat(32), 'A-']) {
      assert.equal(isValidUsername(name), true, name)
    }
    for (const name of ['', '.a', '-a', 'x'.repeat(33), 'a b', 'é', 'a/b', 'a@b', 'a\n', 42, null, undefined]) {
      assert.equal(isValidUsername(name), false, JSON.stringify(name))
    }
  })

  it('room names: 1-64 of a-z 0-9 _ . -, not starting with . or -', () => {
    for (const name of ['general', 'a', '_', 'dev-ops.2', 'x'.repeat(64)]) {
      assert.equal(isValidRoomName(name), true, name)
    }
    for (const name of ['', 'General', '.a', '-a', 'x'.repeat(65), 'a b', '#general', 'ü', 'a\n', 1, null]) {
      assert.equal(isValidRoomName(name), false, JSON.stringify(name))
    }
  })
})
