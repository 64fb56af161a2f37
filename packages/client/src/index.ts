// The SDK in Node (package.json's "import" condition); browser.ts is the "browser" one.
export * from './public-api.js'
export { connect } from './node-entry.js'
export { tcpTransport } from './tcp-transport.js'
export { tlsTransport } from './tls-transport.js'
export { wsTransport } from './ws-transport.js'
export { defaultTransport } from './node-transports.js'
