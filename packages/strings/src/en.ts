import type { ErrorCode } from '@chat/protocol'

/**
 * English, the reference catalogue: every other language has exactly these
 * keys. `{name}` is a parameter. Words only: how a line is laid out (times,
 * colours, arrows) is the app's business.
 */
export const en = {
  // Logging in
  'login.done': 'Logged in as {user}.',
  'login.failed': 'Could not log in: {reason}',
  'login.passwordPrompt': 'Password for {user}: ',
  'login.registered': 'Registered {user}; this name is yours from now on.',

  // Who plain lines go to
  'target.room': 'Lines now go to #{room}.',
  'target.user': 'Lines now go to {user} (direct messages).',
  'target.none': 'Nobody to talk to yet: /join a room, or /to someone.',
  'reply.nobody': 'Nobody has written to you yet.',
  'you': 'you',

  // Rooms
  'room.joined': 'You are in #{room} with {members}.',
  'room.joinedAlone': 'You are in #{room}, alone for now.',
  'room.unread': '{count} unread in #{room} since you last read it.',
  'room.joinedBig': 'You are in #{room} (a big room: /members lists who is in it).',
  'room.left': 'You left #{room}.',
  'room.list': 'Rooms:',
  'room.listItem': '#{room}, {count} online',
  'room.listEmpty': 'No rooms yet: /join one to create it.',
  'room.members': 'In #{room}: {members}',
  'room.notIn': 'You are not in #{room}.',
  'history.room': 'The last messages of #{room}:',
  'history.with': 'Your last messages with {user}:',
  'history.empty': 'No messages yet.',
  'history.gone': 'Older messages were removed by the server.',

  // Direct messages
  'dm.stored': '{user} is offline; they will get it when they log in.',

  // Presence
  'presence.join': '{user} joined #{room}',
  'presence.left': '{user} left #{room}',
  'presence.quit': '{user} quit',
  'presence.disconnected': '{user} lost their connection',

  // Typing (the terminal's prompt, the web page's line under the messages)
  'typing.one': '{user} is typing…',
  'typing.two': '{user} and {other} are typing…',
  'typing.many': 'Several people are typing…',

  // Connection
  'connection.lost': 'Connection lost ({reason}). Reconnecting…',
  'connection.reconnecting': 'Reconnecting (attempt {attempt})…',
  'connection.back': 'Back online.',
  'connection.closed': 'Disconnected: {reason}',
  'connection.bye': 'Bye.',

  // Commands
  'command.unknown': 'Unknown command {command}. /help lists them.',
  'command.needsRoom': '{command} needs a room: {command} <room>',
  'command.needsUser': '{command} needs a name: {command} <user>',
  'command.needsText': '{command} needs something to say.',
  'command.needsNumber': '{command} takes a number of messages, such as {command} 50.',
  'help': [
    'Type a line to send it to the room or person you are talking to.',
    '  /to <user>          send your lines to <user> (direct messages)',
    '  /to #<room>         send your lines to a room again',
    '  to:<user> <text>    send one direct message',
    '  /r <text>           reply to whoever wrote to you last',
    '  /dm <user> <text>   send one direct message',
    '  /join <room>        join a room (and talk there)',
    '  /leave [room]       leave a room (this one if none given)',
    '  /rooms              the rooms, with how many are online',
    '  /members [room]     who is in a room',
    '  /history [n]        the last n messages here (default 20)',
    '  /help               this list',
    '  /quit or quit       leave the chat'
  ].join('\n'),

  // The command line
  'cli.usage': [
    'Usage: chat [options] <name> [address]',
    '',
    '  <name>                 the name to chat under',
    '  [address]              tcp://host:port, tls://host:port, ws://host:port/ws or wss://…',
    '  --host <host>          server host (default 127.0.0.1)',
    '  --port <n>             server port (default 7777)',
    '  --room <room>          the room to start in (default general)',
    '  --password             ask for your password (hidden); CHAT_PASSWORD gives it to scripts',
    '  --register             create an account for <name> with that password',
    '  --lang <en|zh>         the language (default: from LANG)',
    '  -h, --help             this help'
  ].join('\n'),
  'cli.badOption': '{problem} (chat --help lists the options)',
  'cli.needsName': 'Give a name to chat under.',
  'cli.badLanguage': '--lang must be one of {languages}.',
  'cli.badPort': '--port must be a number from 1 to 65535.',
  'cli.passwordNeeded': 'No password: type one, or set CHAT_PASSWORD.',

  // The web page (words only: the terminal's command hints above are not used there)
  'web.title': 'Chat',
  'web.language': 'Language',
  'web.login.heading': 'Log in to chat',
  'web.login.name': 'Name',
  'web.login.password': 'Password',
  'web.login.passwordHint': 'Only for a registered name: leave it empty to chat as a guest.',
  'web.login.register': 'Register this name with this password',
  'web.login.submit': 'Log in',
  'web.login.registerSubmit': 'Register and log in',
  'web.login.connecting': 'Connecting…',
  'web.loggedInAs': 'Logged in as {user}',
  'web.logout': 'Log out',
  'web.loginAgain': 'Log in again',
  'web.menu': 'Rooms and people',
  'web.rooms': 'Rooms',
  'web.online': '{count} online',
  'web.joinRoom': 'Join or create a room',
  'web.join': 'Join',
  'web.leave': 'Leave #{room}',
  'web.direct': 'Direct messages',
  'web.directNone': 'Click someone in a room to write to them.',
  'web.unread': '{count} unread',
  'web.members': 'In #{room}',
  'web.membersShow': 'Members',
  'web.writeTo': 'Write to {user}',
  'web.fromYou': '{user} (you)',
  'web.messagesRoom': 'Messages in #{room}',
  'web.messagesWith': 'Messages with {user}',
  'web.loadOlder': 'Load older messages',
  'web.loading': 'Loading…',
  'web.startRoom': 'This is the start of #{room}.',
  'web.startWith': 'This is the start of your conversation with {user}.',
  'web.today': 'Today',
  'web.yesterday': 'Yesterday',
  'web.sending': 'Sending…',
  'web.nothingOpen': 'Join a room, or click someone to write to them.',
  'web.to': 'To',
  'web.toRoom': '#{room} (room)',
  'web.toUser': '{user} (direct message)',
  'web.message': 'Message',
  'web.placeholderRoom': 'Message #{room}',
  'web.placeholderUser': 'Message {user}',
  'web.send': 'Send',
  'web.reply': 'Reply to {user}',
  'web.replyNobody': 'Reply',
  'web.replyHint': 'Alt+R: reply to whoever wrote to you last',
  'web.composerHint': 'Enter sends; Shift+Enter starts a new line.',
  'web.dismiss': 'Dismiss',

  // Errors, for codes without a text of their own
  'error.other': 'Something went wrong ({code}).'
} as const

export type StringKey = keyof typeof en

/** What each error code means to a person, in English. */
export const enErrors: Record<ErrorCode, string> = {
  frame_too_large: 'That was too large to send.',
  malformed_frame: 'The server could not read what was sent.',
  invalid_utf8: 'The text was not valid UTF-8.',
  invalid_message: 'The server refused a malformed request.',
  unknown_type: 'The server does not know that request.',
  unsupported_version: 'This app is too old or too new for the server.',
  not_logged_in: 'You are not logged in.',
  already_logged_in: 'You are already logged in.',
  name_taken: 'That name is in use.',
  invalid_name: 'Names are 1 to 32 letters, digits, _ - or . (rooms likewise).',
  user_offline: 'That person is offline.',
  not_member: 'Join the room first.',
  no_such_room: 'There is no such room.',
  message_too_long: 'That message is too long.',
  no_such_user: 'Nobody has that name.',
  history_gone: 'Those messages were removed by the server.',
  auth_failed: 'Wrong name or password.',
  weak_password: 'Choose a longer password (at least 8 characters).',
  registration_closed: 'This server has no accounts.',
  storage_error: 'The server could not store that. Try again later.',
  rate_limited: 'Too many requests too fast: slow down a little.',
  too_many_connections: 'The server has too many connections (from your address, or in all). Try again later.',
  login_timeout: 'Logging in took too long.',
  slow_consumer: 'The connection fell too far behind.',
  heartbeat_timeout: 'The connection went silent.',
  server_shutdown: 'The server is shutting down.',
  session_replaced: 'You logged in somewhere else.',
  internal_error: 'The server had a problem.',
  connection_closed: 'The connection closed.',
  connect_failed: 'Could not reach the server.',
  aborted: 'Cancelled.',
  outbound_full: 'Too much is waiting to be sent.',
  reconnect_failed: 'Could not reconnect to the server.',
  timeout: 'The server did not answer in time.',
  registration_required: 'Register first.'
}
