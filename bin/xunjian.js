#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (prepare) or `npm run build`.
import { setFlagsFromString } from 'node:v8';

// The agent's V8 setting, applied before anything is loaded (read by bench/snmp/agent-flags.ts, so the
// fleet benchmark runs as the agent does). V8 lets the old generation grow up to 4× its live size
// before the next full GC; a cycle of 500 SNMP devices promotes ~55 MB of short-lived poll data, which
// V8 then keeps as fragmented pages (RSS 153–160 MiB against 19 MiB of live heap). A factor of 1.2
// collects sooner: 123–126 MiB, +20% CPU per cycle. Not a cap: the heap still grows with live data
// (a report buffer growing during an outage), only full GCs come more often.
const AGENT_V8_FLAGS = '--heap-growing-percent=20';
if (process.argv[2] === 'agent') setFlagsFromString(AGENT_V8_FLAGS);

import('../dist/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    console.error('xunjian: not built yet; run `npm ci` (or `npm run build`) first');
    process.exit(1);
  }
  throw err;
});
