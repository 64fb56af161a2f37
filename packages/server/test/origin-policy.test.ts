import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { OriginPolicy } from '../src/transport/origin-policy.js'

describe('OriginPolicy', () => {
  it('lets in requests without an Origin, and the server\'s own origin (the Host header, the listener\'s scheme)', () => {
    const policy = new OriginPolicy()
    assert.equal(policy.allows(undefined, 'chat.example.com:7780', false), true)
    assert.equal(policy.allows('http://chat.example.com:7780', 'chat.example.com:7780', false), true)
    assert.equal(policy.allows('HTTP://Chat.Example.com:7780', 'chat.example.com:7780', false), true)
    assert.equal(policy.allows('https://chat.example.com', 'chat.example.com', true), true)
    assert.equal(policy.allows('https://chat.example.com:443', 'chat.example.com', true), true)
    // Another scheme, port or host is another origin.
    assert.equal(policy.allows('https://chat.example.com:7780', 'chat.example.com:7780', false), false)
    assert.equal(policy.allows('http://chat.example.com:7781', 'chat.example.com:7780', false), false)
    assert.equal(policy.allows('http://evil.example:7780', 'chat.example.com:7780', false), false)
    assert.equal(policy.allows('http://chat.example.com:7780', undefined, false), false)
  })

  it('lets in the listed origins exactly, or any with *; refuses null and anything that is not an origin', () => {
    const policy = new OriginPolicy(['https://app.example.com', 'http://localhost:8080'])
    assert.equal(policy.allows('https://app.example.com', 'chat.example.com', true), true)
    assert.equal(policy.allows('http://localhost:8080', 'chat.example.com', true), true)
    assert.equal(policy.allows('https://app.example.com.evil.example', 'chat.example.com', true), false)
    assert.equal(policy.allows('http://app.example.com', 'chat.example.com', true), false)
    assert.equal(policy.allows('null', 'chat.example.com', true), false)
    assert.equal(policy.allows('https://app.example.com/path', 'chat.example.com', true), false)
    assert.equal(new OriginPolicy(['*']).allows('https://anything.example', 'chat.example.com', true), true)
  })

  it('refuses a configured entry that is not an origin, naming it', () => {
    for (const bad of ['app.example.com', 'https://app.example.com/path', 'ftp://x', 'https://user@app.example.com']) {
      assert.throws(() => new OriginPolicy([bad]), (err: unknown) => err instanceof RangeError && err.message.includes(JSON.stringify(bad)), bad)
    }
    assert.doesNotThrow(() => new OriginPolicy(['https://app.example.com/']))
  })
})
