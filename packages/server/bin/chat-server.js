#!/usr/bin/env node
// The installed `chat-server` command. It lives outside dist/ so the package
// manager can link it before the first build (pnpm links bins at install time).
import '../dist/src/bin.js'
