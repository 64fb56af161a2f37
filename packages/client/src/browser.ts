// The SDK in a browser (package.json's "browser" condition): nothing here loads Node or the `ws` package.
export * from './public-api.js'
export { connect } from './browser-entry.js'
export { browserWsTransport } from './browser-transports.js'
