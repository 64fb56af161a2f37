import { duplexPair } from '../src/index.js'
import { duplexCompliance } from './duplex-compliance.js'

duplexCompliance('duplexPair()', async () => duplexPair(), {
  halfOpen: [false, false],
  highWaterMark: 16 * 1024
})

duplexCompliance('duplexPair({ allowHalfOpen: true })', async () => duplexPair({ allowHalfOpen: true }), {
  halfOpen: [true, true],
  highWaterMark: 16 * 1024
})
