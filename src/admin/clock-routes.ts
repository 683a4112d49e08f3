/**
 * The clock over HTTP (issue 14), for test suites outside Node:
 *
 *   GET  /clock           {"mode": "virtual", "virtual": true, "paused": false, "nowMs": 1764668400000}
 *   POST /clock/advance   {"ms": 691200000} -> {"nowMs": ..., "fired": n} once every timer due by
 *                         then has fired and its consequences have run (control/clock.ts)
 *   POST /clock/pause     stops the virtual clock flowing with wall time; /clock/resume restarts it
 *
 * On a broker started on wall time the POSTs are refused (409) with what to do.
 */
import { ConfigError } from '../config/config-error.js';
import { ADVANCE_MS_MAX, isVirtualClock, type Clock } from '../control/clock.js';

export interface RouteAnswer {
  status: number;
  payload?: unknown;
}

/** The answer for a /clock route, or null when the path is not one. */
export async function clockRoute(clock: Clock, method: string, path: string, body: () => Promise<string>): Promise<RouteAnswer | null> {
  if (path === '/clock' && method === 'GET') return { status: 200, payload: clockView(clock) };
  const op = /^\/clock\/(advance|pause|resume)$/.exec(path)?.[1];
  if (op === undefined || method !== 'POST') return null;
  if (!isVirtualClock(clock)) {
    return { status: 409, payload: { error: 'this broker runs on wall time; start it with --virtual-clock (or clock: "virtual") to move its clock' } };
  }
  if (op === 'pause') clock.pause();
  else if (op === 'resume') clock.resume();
  else return { status: 200, payload: await clock.advance(advanceMs(await body())) };
  return { status: 200, payload: clockView(clock) };
}

function clockView(clock: Clock): Record<string, unknown> {
  return { mode: clock.virtual ? 'virtual' : 'wall', virtual: clock.virtual, paused: isVirtualClock(clock) && clock.isPaused, nowMs: clock.nowMs() };
}

function advanceMs(text: string): number {
  const v: unknown = JSON.parse(text === '' ? '{}' : text);
  const ms = typeof v === 'object' && v !== null ? (v as { ms?: unknown }).ms : undefined;
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > ADVANCE_MS_MAX) {
    throw new ConfigError(`advance takes {"ms": N} with N a whole number of milliseconds from 0 to ${ADVANCE_MS_MAX}`);
  }
  return ms;
}
