/** The chat server's WebSocket endpoint on the page's own origin: the server that served the page (so its origin check lets it in). */
export function webSocketUrl (location: { protocol: string, host: string }): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`
}
