import type { Redis } from 'ioredis'
import type { FullLogger } from '../logger.js'

/**
 * What "acknowledged" survives with this Redis's persistence settings, said
 * at startup (a warning when nothing is kept): an ack means Redis accepted
 * the write, and what Redis keeps of it past a crash is its own setting.
 */
export async function reportPersistence (redis: Redis, logger: FullLogger): Promise<void> {
  let settings: Record<string, string>
  try {
    const flat = await redis.config('GET', 'appendonly') as string[]
    const more = await redis.config('GET', 'appendfsync') as string[]
    const save = await redis.config('GET', 'save') as string[]
    settings = Object.fromEntries([...pairs(flat), ...pairs(more), ...pairs(save)])
  } catch (err) {
    logger.warn(`redis: could not read its persistence settings (CONFIG GET refused?): make sure appendonly is on: ${(err as Error).message}`)
    return
  }
  logger.info(persistenceMeaning(settings.appendonly, settings.appendfsync, settings.save), { appendonly: settings.appendonly, appendfsync: settings.appendfsync })
  if (settings.appendonly !== 'yes') {
    logger.warn('redis persistence is off (appendonly no): acknowledged messages, accounts and history are lost if Redis restarts; run redis-server with --appendonly yes --appendfsync always')
  }
}

/** One sentence: what an acknowledged message survives. */
export function persistenceMeaning (appendonly: string | undefined, appendfsync: string | undefined, save: string | undefined): string {
  if (appendonly !== 'yes') {
    return save !== undefined && save !== ''
      ? `redis keeps only snapshots (save ${save}): an acknowledged message survives a restart only once a snapshot has it`
      : 'redis keeps nothing on disk: an acknowledged message survives only while Redis runs'
  }
  if (appendfsync === 'always') return 'redis appendfsync always: an acknowledged message is on disk (fsynced) and survives a Redis crash and a power loss'
  if (appendfsync === 'everysec') return 'redis appendfsync everysec: an acknowledged message survives a Redis crash; a power loss or OS crash can lose the last second'
  return 'redis appendfsync no: an acknowledged message survives a Redis crash once the OS wrote it (about 30 s); a power loss can lose more'
}

function pairs (flat: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i], flat[i + 1]])
  return out
}
