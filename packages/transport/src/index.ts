export type { Duplex } from './duplex.js'
export { tcpDuplex } from './tcp-duplex.js'
export { FrameQueue, DEFAULT_MAX_WRITE_BYTES } from './frame-queue.js'
export type { FrameQueueOptions } from './frame-queue.js'
