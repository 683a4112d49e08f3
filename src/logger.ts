/**
 * The broker's log lines: one line each, to stderr, with a level. `SLUICE_LOG=debug|info|warn|error`
 * picks the threshold (default info); embedding callers may pass their own sink.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export function createLogger(level: LogLevel = envLevel(), sink: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const at = (lvl: LogLevel) => (msg: string) => {
    if (RANK[lvl] >= RANK[level]) sink(`${new Date().toISOString()} ${lvl.toUpperCase()} ${msg}`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function envLevel(): LogLevel {
  const v = process.env['SLUICE_LOG'];
  return v === 'debug' || v === 'info' || v === 'warn' || v === 'error' ? v : 'info';
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
