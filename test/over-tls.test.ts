// The SDK-level end-to-end tests again, over tls:// (see support/over-transport.ts).
import { overTransport } from './support/over-transport.js'

overTransport('tls')
