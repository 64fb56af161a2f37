import type { KeyValueStorage } from './language.js'

/** Where a registered user's rooms are remembered on this browser, so the next login joins them again with their unread counts. */
const roomsKey = (user: string): string => `chat.rooms.${user.toLowerCase()}`

export function rememberedRooms (storage: Pick<KeyValueStorage, 'getItem'> | undefined, user: string): string[] {
  try {
    const stored: unknown = JSON.parse(storage?.getItem(roomsKey(user)) ?? '[]')
    return Array.isArray(stored) ? stored.filter((room): room is string => typeof room === 'string') : []
  } catch {
    return []
  }
}

export function rememberRooms (storage: Pick<KeyValueStorage, 'setItem'> | undefined, user: string, rooms: readonly string[]): void {
  try {
    storage?.setItem(roomsKey(user), JSON.stringify(rooms))
  } catch {
    // Not remembered: the next login starts in the first room only.
  }
}
