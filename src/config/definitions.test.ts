/**
 * share.auto.offset.reset's values (KIP-932): latest, earliest and by_duration with a
 * java.time.Duration, as Kafka's ShareGroupAutoOffsetResetStrategy takes them.
 */
import t from 'tap';
import { parseIsoDurationMs, parseShareAutoOffsetReset } from './definitions.js';

t.test('ISO-8601 durations as java.time.Duration.parse reads them', async (t) => {
  t.equal(parseIsoDurationMs('PT1H'), 3_600_000);
  t.equal(parseIsoDurationMs('P1DT2H30M0.5S'), 95_400_500);
  t.equal(parseIsoDurationMs('PT-5M'), -300_000);
  t.equal(parseIsoDurationMs('-PT1S'), -1000);
  t.equal(parseIsoDurationMs('pt10s'), 10_000, 'case does not matter');
  for (const bad of ['', 'P', 'PT', 'P1DT', '1H', 'PT1.5M', 'soon']) t.equal(parseIsoDurationMs(bad), null, `"${bad}" is no duration`);
});

t.test('share.auto.offset.reset: latest, earliest, by_duration with a duration that is not negative', async (t) => {
  t.same(parseShareAutoOffsetReset('latest'), { kind: 'latest' });
  t.same(parseShareAutoOffsetReset('EARLIEST'), { kind: 'earliest' });
  t.same(parseShareAutoOffsetReset('by_duration:PT1H'), { kind: 'by_duration', durationMs: 3_600_000 });
  t.equal(parseShareAutoOffsetReset('by_duration:-PT1H'), null);
  t.equal(parseShareAutoOffsetReset('by_duration:'), null);
  t.equal(parseShareAutoOffsetReset('nearest'), null);
});
