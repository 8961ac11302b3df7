/** Leveled logger writing one line per event to stderr, as text or JSON. Never pass secrets to it. */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface LogOptions {
  level?: Level;
  format?: 'text' | 'json';
  write?: (line: string) => void;
}

export function createLogger(opts: LogOptions = {}, base: Record<string, unknown> = {}): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const write = opts.write ?? ((l: string) => process.stderr.write(`${l}\n`));
  const emit = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const all = { ...base, ...fields };
    const time = new Date().toISOString();
    if (opts.format === 'json') {
      write(JSON.stringify({ time, level, msg, ...all }));
    } else {
      const kv = Object.entries(all)
        .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s|"/.test(v) ? v : JSON.stringify(v)}`)
        .join(' ');
      write(`${time} ${level.toUpperCase().padEnd(5)} ${msg}${kv ? ` ${kv}` : ''}`);
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (f) => createLogger(opts, { ...base, ...f }),
  };
}

export const logSchema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  description: 'Logging (to stderr).',
  properties: {
    level: { enum: ['debug', 'info', 'warn', 'error'], default: 'info', description: 'Least severe level printed: debug, info, warn or error.' },
    format: { enum: ['text', 'json'], default: 'text', description: 'text for people, json for log shippers.' },
  },
} as const;
