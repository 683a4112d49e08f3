/**
 * Test support: runs one test body against both implementations of a native function (STYLE.md
 * principles 8 and 9). `twinTest(name, { ts, native }, body)` registers `[ts] name` and
 * `[native] name` as top-level tap tests; `nativeTest` registers only the latter. When the addon is not loaded the native one is a visible
 * skip giving the reason, or a failure under SLUICE_NATIVE=require; it never passes silently.
 */
import t, { type Test } from 'tap';
import { nativeMode, nativeStatus } from './addon.js';

export interface Twins<F> {
  ts: F;
  native: F | null;
}

export function twinTest<F>(name: string, impls: Twins<F>, body: (t: Test, impl: F) => Promise<void> | void): void {
  t.test(`[ts] ${name}`, async (tt) => body(tt, impls.ts));
  nativeTest(name, impls.native, body);
}

/** Registers `[native] name` only (differential tests), with the same skip/fail rule. */
export function nativeTest<F>(name: string, native: F | null, body: (t: Test, impl: F) => Promise<void> | void): void {
  if (native !== null) t.test(`[native] ${name}`, async (tt) => body(tt, native));
  else if (nativeMode === 'require')
    t.test(`[native] ${name}`, async (tt) => {
      tt.fail(`SLUICE_NATIVE=require but the addon is not loaded: ${nativeStatus().reason}`);
    });
  else t.test(`[native] ${name}`, { skip: `native addon not loaded: ${nativeStatus().reason}` }, async () => {});
}

export { rng } from './rng.js';
