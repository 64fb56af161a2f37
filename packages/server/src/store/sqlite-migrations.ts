/**
 * Schema versions, applied in order on open. `PRAGMA user_version` records
 * how many ran; a new version is appended here, never edited once released.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: messages by stream and id; per-stream sequence and retention floor; offline inbox; accounts.
  `CREATE TABLE messages (
     stream TEXT NOT NULL,
     id INTEGER NOT NULL,
     room TEXT,
     recipient TEXT,
     sender TEXT NOT NULL,
     text TEXT NOT NULL,
     ts INTEGER NOT NULL,
     PRIMARY KEY (stream, id)
   ) WITHOUT ROWID;
   CREATE INDEX messages_by_ts ON messages (ts);
   CREATE TABLE streams (
     stream TEXT PRIMARY KEY,
     last_id INTEGER NOT NULL,
     floor INTEGER NOT NULL DEFAULT 0
   ) WITHOUT ROWID;
   CREATE TABLE inbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     user_key TEXT NOT NULL,
     stream TEXT NOT NULL,
     id INTEGER NOT NULL
   );
   CREATE INDEX inbox_by_user ON inbox (user_key, seq);
   CREATE TABLE accounts (
     user_key TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     password_hash TEXT NOT NULL,
     created_at INTEGER NOT NULL
   ) WITHOUT ROWID;`,
  // 2: idempotency keys, so a send retried after a reconnect or a restart is stored once.
  `ALTER TABLE messages ADD COLUMN sender_key TEXT;
   ALTER TABLE messages ADD COLUMN idempotency_key TEXT;
   CREATE UNIQUE INDEX messages_by_idempotency_key ON messages (sender_key, idempotency_key)
     WHERE idempotency_key IS NOT NULL;`,
  // 3: the index of keys by key first: keys made time first (as @chat/client makes them) land at its end, whoever sent
  // them, instead of at each sender's place (a page written per sender and commit). The same rows, the same uniqueness.
  `DROP INDEX messages_by_idempotency_key;
   CREATE UNIQUE INDEX messages_by_key ON messages (idempotency_key, sender_key)
     WHERE idempotency_key IS NOT NULL;`,
  // 4: read markers: per registered user and stream (a room, a conversation), the newest id read (only ever raised).
  `CREATE TABLE read_markers (
     user_key TEXT NOT NULL,
     stream TEXT NOT NULL,
     id INTEGER NOT NULL,
     PRIMARY KEY (user_key, stream)
   ) WITHOUT ROWID;`,
  // 5: a key and its scope in one column, \`<key> <scope>\` (a scope never holds a space), under a unique index of one
  // column: one string compared per step of the index, one column fewer per keyed row (about 0.2 µs less per keyed
  // message written). Keys stored before are moved into it; the old columns stay, empty from now on.
  `ALTER TABLE messages ADD COLUMN scoped_key TEXT;
   UPDATE messages SET scoped_key = idempotency_key || ' ' || sender_key, idempotency_key = NULL, sender_key = NULL
     WHERE idempotency_key IS NOT NULL;
   DROP INDEX messages_by_key;
   CREATE UNIQUE INDEX messages_by_scoped_key ON messages (scoped_key) WHERE scoped_key IS NOT NULL;`,
  // 6: scopes by number (SqliteKeyScopes): \`<key> <n>\`, a few digits where a scope was 5-50 characters, stored twice
  // per keyed message and written with each commit. The scope is what follows the last space: rtrim() with every
  // character of the string but the space strips it, leaving the key and its space.
  `CREATE TABLE key_scopes (
     scope TEXT PRIMARY KEY,
     n INTEGER NOT NULL,
     used_at INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX key_scopes_by_use ON key_scopes (used_at);
   INSERT INTO key_scopes (scope, n, used_at)
     SELECT scope, row_number() OVER (ORDER BY scope), used_at FROM (
       SELECT substr(scoped_key, length(rtrim(scoped_key, replace(scoped_key, ' ', ''))) + 1) AS scope, max(ts) AS used_at
       FROM messages WHERE scoped_key IS NOT NULL GROUP BY 1);
   DROP INDEX messages_by_scoped_key;
   UPDATE messages SET scoped_key = substr(scoped_key, 1, length(rtrim(scoped_key, replace(scoped_key, ' ', '')))) ||
     (SELECT n FROM key_scopes WHERE scope = substr(messages.scoped_key, length(rtrim(messages.scoped_key, replace(messages.scoped_key, ' ', ''))) + 1))
     WHERE scoped_key IS NOT NULL;
   CREATE UNIQUE INDEX messages_by_scoped_key ON messages (scoped_key) WHERE scoped_key IS NOT NULL;`
]
