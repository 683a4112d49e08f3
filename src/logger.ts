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
    if (RANK[lvl] >= RANK[level]) sink(`${new Date().toISOString()} ${lvl.toUpperCase()} ${oneLine(msg)}`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * A message as one line: control characters (a group id or client id may hold a newline, which
 * would forge a log line of its own) are written as escapes: \n, \r, \t, \xNN.
 */
export function oneLine(msg: string): string {
  // eslint-disable-next-line no-control-regex
  return msg.replace(/[\x00-\x1f\x7f]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/**
 * At most `linesMax` lines of one kind per `windowMs`; the rest are counted, and the count is
 * written once the window ends with the next line of that kind ("N more like this"). For what a
 * client can cause at will (refused frames under fuzzing wrote 335,000 WARN lines).
 */
export class RateLimitedLog {
  private windowStartMs = -Infinity;
  private linesInWindow = 0;
  private suppressed = 0;
  /** Every line asked for, written or not. */
  total = 0;

  constructor(
    private readonly write: (msg: string) => void,
    private readonly linesMax = 10,
    private readonly windowMs = 10_000,
    private readonly nowMs: () => number = () => Date.now(),
  ) {}

  log(msg: string): void {
    this.total++;
    const now = this.nowMs();
    if (now - this.windowStartMs >= this.windowMs) {
      const held = this.suppressed;
      this.windowStartMs = now;
      this.linesInWindow = 0;
      this.suppressed = 0;
      if (held > 0) msg += ` (and ${held} more like this in the previous ${this.windowMs / 1000} s, not shown)`;
    }
    if (this.linesInWindow >= this.linesMax) {
      this.suppressed++;
      return;
    }
    this.linesInWindow++;
    this.write(msg);
  }
}

function envLevel(): LogLevel {
  const v = process.env['SLUICE_LOG'];
  return v === 'debug' || v === 'info' || v === 'warn' || v === 'error' ? v : 'info';
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
