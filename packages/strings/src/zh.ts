import type { ErrorCode } from '@chat/protocol'
import type { StringKey } from './en.js'

/** 简体中文: the same keys as English (the compiler and a test check it). */
export const zh: Record<StringKey, string> = {
  'login.done': '已登录，用户名：{user}。',
  'login.failed': '无法登录：{reason}',
  'login.passwordPrompt': '{user} 的密码：',
  'login.registered': '已注册 {user}，这个名字从此归你所有。',

  'target.room': '现在的消息将发往 #{room}。',
  'target.user': '现在的消息将私聊发给 {user}。',
  'target.none': '还没有聊天对象：用 /join 加入房间，或用 /to 选择一个人。',
  'reply.nobody': '还没有人给你发过私信。',
  'you': '你',

  'room.joined': '你已进入 #{room}，同在的有：{members}。',
  'room.joinedAlone': '你已进入 #{room}，目前只有你一个人。',
  'room.joinedBig': '你已进入 #{room}（人数较多，用 /members 查看成员）。',
  'room.left': '你已离开 #{room}。',
  'room.list': '房间：',
  'room.listItem': '#{room}，{count} 人在线',
  'room.listEmpty': '还没有房间：用 /join 创建一个。',
  'room.members': '#{room} 的成员：{members}',
  'room.notIn': '你不在 #{room} 中。',
  'history.room': '#{room} 的最近消息：',
  'history.with': '你与 {user} 的最近消息：',
  'history.empty': '还没有消息。',
  'history.gone': '更早的消息已被服务器删除。',

  'dm.stored': '{user} 不在线，上线后会收到这条消息。',

  'presence.join': '{user} 加入了 #{room}',
  'presence.left': '{user} 离开了 #{room}',
  'presence.quit': '{user} 已退出',
  'presence.disconnected': '{user} 断开了连接',

  'connection.lost': '连接已断开（{reason}），正在重新连接…',
  'connection.reconnecting': '正在重新连接（第 {attempt} 次）…',
  'connection.back': '已重新连接。',
  'connection.closed': '连接已断开：{reason}',
  'connection.bye': '再见。',

  'command.unknown': '未知命令 {command}。输入 /help 查看命令列表。',
  'command.needsRoom': '{command} 需要房间名：{command} <房间>',
  'command.needsUser': '{command} 需要用户名：{command} <用户>',
  'command.needsText': '{command} 需要消息内容。',
  'command.needsNumber': '{command} 需要一个消息条数，例如 {command} 50。',
  'help': [
    '输入一行文字，发给当前的房间或聊天对象。',
    '  /to <用户>          之后的消息私聊发给 <用户>',
    '  /to #<房间>         之后的消息重新发往房间',
    '  to:<用户> <内容>    发送一条私信',
    '  /r <内容>           回复最近给你发私信的人',
    '  /dm <用户> <内容>   发送一条私信',
    '  /join <房间>        加入房间（并在那里聊天）',
    '  /leave [房间]       离开房间（不写则离开当前房间）',
    '  /rooms              房间列表及在线人数',
    '  /members [房间]     房间里有谁',
    '  /history [n]        这里最近的 n 条消息（默认 20）',
    '  /help               显示本列表',
    '  /quit 或 quit       退出聊天'
  ].join('\n'),

  'cli.usage': [
    '用法：chat [选项] <名字> [地址]',
    '',
    '  <名字>                 聊天时使用的名字',
    '  [地址]                 tcp://主机:端口、tls://主机:端口、ws://主机:端口/ws 或 wss://…',
    '  --host <主机>          服务器主机（默认 127.0.0.1）',
    '  --port <端口>          服务器端口（默认 7777）',
    '  --room <房间>          开始时进入的房间（默认 general）',
    '  --password             询问密码（输入时不显示）；脚本可用 CHAT_PASSWORD 提供',
    '  --register             用该密码为 <名字> 注册账号',
    '  --lang <en|zh>         界面语言（默认取自 LANG）',
    '  -h, --help             显示本帮助'
  ].join('\n'),
  'cli.badOption': '{problem}（chat --help 列出所有选项）',
  'cli.needsName': '请提供聊天时使用的名字。',
  'cli.badLanguage': '--lang 只能是 {languages} 之一。',
  'cli.badPort': '--port 必须是 1 到 65535 之间的数字。',
  'cli.passwordNeeded': '没有密码：请输入密码，或设置 CHAT_PASSWORD。',

  'error.other': '出了点问题（{code}）。'
}

/** 每个错误代码的中文说明。 */
export const zhErrors: Record<ErrorCode, string> = {
  frame_too_large: '内容太大，无法发送。',
  malformed_frame: '服务器无法读取发送的内容。',
  invalid_utf8: '文本不是有效的 UTF-8。',
  invalid_message: '服务器拒绝了格式错误的请求。',
  unknown_type: '服务器不认识这个请求。',
  unsupported_version: '此应用的版本与服务器不兼容。',
  not_logged_in: '你还没有登录。',
  already_logged_in: '你已经登录了。',
  name_taken: '这个名字已被使用。',
  invalid_name: '名字须为 1 到 32 个字母、数字或 _ - .（房间名同样）。',
  user_offline: '对方不在线。',
  not_member: '请先加入这个房间。',
  no_such_room: '没有这个房间。',
  message_too_long: '消息太长了。',
  no_such_user: '没有叫这个名字的人。',
  history_gone: '这些消息已被服务器删除。',
  auth_failed: '名字或密码错误。',
  weak_password: '请选择更长的密码（至少 8 个字符）。',
  registration_closed: '此服务器不提供账号。',
  storage_error: '服务器无法保存，请稍后再试。',
  rate_limited: '请求太快太多，请稍微放慢。',
  too_many_connections: '服务器的连接太多（来自你的地址，或总数），请稍后再试。',
  login_timeout: '登录用时太长。',
  slow_consumer: '连接落后太多。',
  heartbeat_timeout: '连接没有响应。',
  server_shutdown: '服务器正在关闭。',
  session_replaced: '你已在别处登录。',
  internal_error: '服务器出现问题。',
  connection_closed: '连接已关闭。',
  connect_failed: '无法连接到服务器。',
  aborted: '已取消。',
  outbound_full: '待发送的内容太多。',
  reconnect_failed: '无法重新连接到服务器。',
  timeout: '服务器没有及时响应。'
}
