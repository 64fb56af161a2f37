export { Harness, urlOf } from './harness.js'
export { testCertificate, newTestCertificate } from './test-certificate.js'
export type { TestCertificate } from './test-certificate.js'
export { connect, testTransport, isTls, withTestTls, TEST_TRANSPORTS } from './test-transport.js'
export type { TestTransport } from './test-transport.js'
export type { CleanupScope, HarnessOptions, ListeningServer, Served, ServeOptions, ServerLike } from './harness.js'
export { RawClient } from './raw-client.js'
export type { LooseRequest, RawClientOptions, RequestWithoutId } from './raw-client.js'
export { ObservedDuplex } from './observed-duplex.js'
export { NodeProcess, ServerProcess } from './node-process.js'
export type { ExitStatus, NodeProcessOptions } from './node-process.js'
export {
  WAIT_MS, within, sleep, waitUntil, take, takeUntil, expectDone,
  rejectsWithCode, nextThrows, assertChatError, roundTrip
} from './wait.js'
export { Collected, collectMessages, StatusLog } from './collect.js'
export { SeededRandom, garbage, varint } from './seeded.js'
export { startRedis, REDIS_SERVER } from './redis-server.js'
export type { RedisServer, RedisServerOptions } from './redis-server.js'
