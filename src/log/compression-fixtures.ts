/**
 * Record batches written by real clients, captured byte for byte from a Sluice segment (.log) for
 * the decoder tests in compression.test.ts. Each is one stored v2 batch (base offset 0).
 *  - kcat*: kcat 1.7.1 / librdkafka 2.0.2, `kcat -P -z <codec> -K:` of 40 lines
 *    `key{i%7}:value-{i}-` + "abcabcabc" x (i%5), i = 0..39, then (not zstd) one line without a key
 *    ("nullkeyval", a record with a null key). librdkafka writes snappy as one raw block.
 *  - kafkaPython*: kafka-python 2.0.2 (compat-tests/python/kp_produce.py --compression <codec>) of
 *    40 records key{i%7} / value-{i}- + "xyzxyz" x (i%6), then a null key with value "tomb?", then
 *    key1 with a null value. kafka-python writes snappy in the xerial framing.
 * And `encoderInputs`: inputs for the encoders' tests (compression-encoders.test.ts and
 * compat-tests/recompression.test.ts).
 */

import { rng } from '../native/rng.js';

export const kcatGzip = Buffer.from(
  [
    'AAAAAAAAAAAAAAG7AAAAAAI7gUiSAAEAAAAoAAABogtzEWgAAAGiC3MRbf//////////////////AAAAKR+LCAAAAAAAAAON',
    '0E9Lw0AQhvFRRGQRKaWIiEgpoYgYSXeTWEVEREooIh6leKnSk6G3Cn57N+/OEFPyZ2FPu7PwzC8gooPv1W/U+1nmm1UYhZQS',
    '7RZXk5G7moTLzy93KCPaK9507N50+VYOLYj2iyEzc0OmZqiczm1AMR2/u+m4bbr8FhCp4lvC4QnCD4urlMPTavgR9uTwm4bw',
    'Hjbn8GlXeB8WHH7rFz4mGkCnz7yWfEp0DIOA7/6bz4lOsGnKj7XoH0SnWD7jqXb1NdEZPBY87slu689BJPUJ6oeAkPq0Wj/C',
    'ulJfK2/rAwBIfTu9rR+DROr97S+AxPXa2V9Cguv1lv0V1uV63WR/DQCu1532EUi4XvvbayBJvbOPISH1W/Yp1pX6JvspAKS+',
    '0/4OJFLvb38PJK43zv4BElxvqvbqEetyvWmwV08A4HrTZa+eQcL1xttezYAk9bBXGSSkvmqv5lhX6hvs1QsApL7LXr2CROo9',
    '7Yek3nYG602e28/2K/0BCpAjfPcFAAA=',
  ].join(''),
  'base64',
);

export const kcatSnappy = Buffer.from(
  [
    'AAAAAAAAAAAAAAKFAAAAAAIxHSaQAAIAAAAoAAABogtzED8AAAGiC3MQR///////////////////AAAAKfcLWCQAAAAIa2V5',
    'MBB2YWx1ZS0wLQA2AAACARMEMSIJExAxLWFiYwkDEABIAAAEARwEMjQJHAAyGRwJIhxhYmMAWgAABgElBDNGCSUAM0olABku',
    'DGwAAAgBLgQ0WAkuADRuLgAZNwwkAAAKATcANQ25ADUFuQAMARMANg25ADYZSgG5AA4BHAAwDbkANxkcGVQMWgAAEAElADEN',
    'uQA4SiUAGS4MbAAAEgEuADINuQA5bi4AGTcMJgAAFAE3BDMSCfAcMTAtADgAABYBFAQ0JA0ULnQBDEoAABgBHQQ1Ng0dADJK',
    'aQAQAFwAABoBJgQ2SA0mdnYBDG4AABwBLwQwWg0vmncBDCYAAB4BOAAxEb4ANQW+ACABFAAyEb4ANhmhAb4AIgEdADMRvlJ6',
    'AQxcAAAkASYANBG+ADgZQwBhUX4VCQG+ACYBLwA1Eb6mfAEAKAE4ADYNvgAyKXwAKgEUADANvgAyOnwBACwBHQAxDb4AMl58',
    'AQAuASYAMg2+ADKCfAEAMAEvADMNvgAypnwBADIBOAA0Eb4pfAA0ARQANRG+OnwBADYBHQA2Eb5efAEAOAEmADARvoJ8AQA6',
    'AS8AMRG+pnwBADwBOAAyDb4AMyl8AD4BFAAzDb4AMzZ8AQQQQAEdADQNvgAzWnwBBBBCASYANQ2+ADN+fAEEEEQBLwA2Db4A',
    'M6J8AQQQRgE4ADARviV8BBBIARQAMRG+NnwBBBBKAR0AMhG+WnwBBBBMASYAMxG+fnwBBBBOAS8ANBG+mnwBQCAAEFABFG51',
    'bGxrZXl2YWwA',
  ].join(''),
  'base64',
);

export const kcatLz4 = Buffer.from(
  [
    'AAAAAAAAAAAAAAKpAAAAAALf8OtyAAMAAAAoAAABogtzENQAAAGiC3MQ2v//////////////////AAAAKQQiTRhgQIJpAgAA',
    '8AgkAAAACGtleTAQdmFsdWUtMC0ANgAAAhMAIjEiEwBSMS1hYmMDAFAASAAABBwAIjI0HAAWMhwAAiIAgGFiYwBaAAAGJQAi',
    'M0YlAB8zJQAABi4AQGwAAAguACI0WC4AHzQuAAkGNwBAJAAACjcAEzW5ABE1uQAQDBMAEza5ABY2SgAAuQAQDhwAEzC5ABY3',
    'HAAGVABAWgAAECUAEzG5AB84JQAABi4AQGwAABIuABMyuQAfOS4ACQY3AEAmAAAUNwAiMxLwAIAxMC0AOAAAFhQAIzQkFAAI',
    'dAFASgAAGB0AIzU2HQAPdQECQFwAABomACM2SCYAD3YBC0BuAAAcLwAjMFovAA93ARRAJgAAHjgAFDG+ABE1vgAQIBQAFDK+',
    'AAh5AUBKAAAiHQAUM74AD3oBAkBcAAAkJgAUNL4AD3sBC0BuAAAmLwAUNb4AD3wBFxAoOAATNr4AEjJ8ARAqFAATML4AGjJ8',
    'ASACLB0AEzG+AB8yfAEEIAIuJgATMr4AHzJ8AQ0gAjAvABMzvgAvMjQ6AhUgAjI4ABQ0vgABfAEgAjQUABQ1vgAKfAEgAjYd',
    'ABQ2vgAPfAEEIAI4JgAUML4AD3wBDSACOi8AFDG+AA98ARYgAjw4ABMyvgARM3wBIAI+FAATM74AGjN8ASAMQB0AEzS+AB8z',
    'fAEEIAxCJgATNb4AHzN8AQ0gDEQvABM2vgAfM3wBFiAMRjgAFDC+AAF8ASAMSBQAFDG+AAp8ASAMSh0AFDK+AA98AQQgDEwm',
    'ABQzvgAPfAENIAxOLwAUNL4AD3wBFPACIAAMUAEUbnVsbGtleXZhbAAAAAAA',
  ].join(''),
  'base64',
);

export const kcatZstd = Buffer.from(
  [
    'AAAAAAAAAAAAAAFvAAAAAAICLjwbAAQAAAAnAAABogtzMogAAAGiC3Myjf//////////////////AAAAKCi1L/0AWK0JABKO',
    'LCMAc9sGMGhJBS88qX/W+Nvarlq/9Mq+Xdb/t7Vt/dvc+Z+QAhBfsLV4dNIZqYUSxdsVandRKF2eULkrgasRUEIwZE93L16s',
    'rIur+qCaDqnYgNoM0GoYM89GWhdWLqnwN0nBhL8jo0b4M7LXwT9JxuBndzCXLfgbSBeWkAcJugfWes0l9TNnDH7NpfRzfCX7',
    'mksCP+XK+ppLAX/0DY2Kk5F8zSWAv++g0zw4Kh8QfM2l/0xyqDGsLFBJofUOwINChgMSwIU0EUREQAgTI4GIxUggYlE7PTvr',
    'r7ANi/XxPtMDTzc4uWh+rmKvb3HyJZugdxYcTtgBLnHLXX+FfbngSDJOepFEn/MyiPbhJRANu8tY2oFmOG/Wy5xg74c3vEk1',
    'h/kYqXnkDNWqGRl7ItV2P2uTKg==',
  ].join(''),
  'base64',
);

export const kafkaPythonGzip = Buffer.from(
  [
    'AAAAAAAAAAAAAAG/AAAAAAJVRBMiAAEAAAApAAABogtzJG4AAAGiC3Mkbv//////////////////AAAAKh+LCACp+gRrAv+N',
    '1NFLwlAYBfBjRIREiIhEiESIiLTY7t3uZoiJRIiIRETPJfhU0UuF9tfnzr4Lk7k12NM953L5nYd1ABy/rTZu7ef1/XvluA5c',
    '4CA+8lrJkeesN7/bD0PgMA5ULwmUBBJPgaM41n4S651YSk/b5+KSP05K/p6SVF+AalwN5kk1yK3KhQ5wEl8wYjG0nJInljBl',
    'qREplihjqZMqlsE+yzPQIHgiQ7n5mCXQpHshXe8/TRc4I78uN5QDBZxT2JYzuzFGQIvQviS7w2IGtOk1kgc5oguyrcgUii6p',
    't6KwhKjDDawooqhLpRUNUqIerSJSbkbUp1hEyssRXdEtIqUKRdfUi0jpEiKXG4hI+RQpKkWkgpTIp9WKTEZkKLaiMEcU0W1F',
    'UaHohnorGpQQDbmBiLRL0YhKEWkvJRrTKiKtMqIJxSLSOkd0R7eItF8ouqdeRDooIZpyAysyFM2otKIwJZrTakVRRrSg2Ir2',
    '/hmawEOl+vX5sbxFA3jk+xX8AZLLHDJtBQAA',
  ].join(''),
  'base64',
);

export const kafkaPythonSnappy = Buffer.from(
  [
    'AAAAAAAAAAAAAALqAAAAAAIDlTkKAAIAAAApAAABogtzISgAAAGiC3MhKf//////////////////AAAAKoJTTkFQUFkAAAAA',
    'AQAAAAEAAAKl7QpYJAAAAAhrZXkwEHZhbHVlLTAtADAAAAIBEwQxHAkTMDEteHl6eHl6ADwAAAQBGQQyKAkZADINGQ0fDEgA',
    'AAYBHwQzNAkfADMyHwANJQxUAAAIASUENEAJJQA0SiUADSsMYAAACgErBDVMCSsANWIrAA0xDCQAAAwBMQA2DcwANgXMAA4B',
    'EwAwDcwANw1EAcwAEAEZADENzAA4DRkNSwxIAAASAR8AMg3MADkyHwANJQxWAAAUASUEM0IJoQQxMEomAA0sDGIAABYBLAQ0',
    'Tg0sMVYJIEYGABAAJgAAGAEyBDUSDTIYMi0AMgAAGgEUBDYeDRQxZBAAPgAAHAEaBDAqDRo2WQEQAEoAAB4BIAQxNg0gTk4B',
    'AdIAIAEmADIR0gA2ctIAACIBLAAzEdIAN2IsAAneAdIAJAEyBDQSDYQAOAXSACYBFAA1EdIxagHSACgBGgA2DdIAMjZeAQHS',
    'ACoBIAAwDdIAMk5SAQHSACwBJgAxDdIAMja1AgmaCQYhpAAuASwAMg3SADIxXgkgRgYAAdIAMAEyADMN0gQyNAXSADIBFAA0',
    'DdIAMjFqAdIANAEaADUR0jZeAQHSADYBIAA2EdJOUgEB0gA4ASYAMBHSNrsCLqYAAdIAOgEsADER0jFeLiYALgwAEAAmAAI8',
    'ATIAMg3SBDMwAdIEAj4BFAAzDdIEMzEt6hAAPgACQAEaADQN0gAzNl4BEABKAAJCASAANQ3SBDMzDToydAAMVgACRAEmADYN',
    '0gAzNrwCMiwADGIAAkYBLAAwDdIAMzFeLiYALgwAAdIASAEyADER0gA2BdIASgEUADIR0jFqAdIATAEaADMR0jZeAQHSAE4B',
    'IAA0EdIEOS0ubgAJDFwAFgACUAEKdG9tYj8AFAACUghrZXkxAQA=',
  ].join(''),
  'base64',
);

export const kafkaPythonLz4 = Buffer.from(
  [
    'AAAAAAAAAAAAAAL/AAAAAALG7L00AAMAAAApAAABogtzIswAAAGiC3Mizf//////////////////AAAAKgQiTRhoQG0FAAAA',
    'AAAAtrcCAADwCCQAAAAIa2V5MBB2YWx1ZS0wLQAwAAACEwAiMRwTANAxLXh5enh5egA8AAAEGQAiMigZABMyGQADHwBASAAA',
    'Bh8AIjM0HwAZMx8AAyUAQFQAAAglACI0QCUAHzQlAAADKwBAYAAACisAIjVMKwAfNSsABgMxAEAkAAAMMQATNswAETbMABAO',
    'EwATMMwAEzdEAADMABAQGQATMcwAEzgZAANLAEBIAAISHwATMswAGTkfAAMlAEBWAAIUJQAiM0KhAC8xMCYAAAMsAEBiAAIW',
    'LAAjNE4sAARWAQIgAA4GAFAAJgACGDIAIzUSMgBwMi0AMgACGhQAIzYeFAAEZAFQAD4AAhwaACMwKhoAClkBUABKAAIeIAAj',
    'MTYgAA9OAQFQAFYAAiAmABQy0gAfNtIAChAiLAAUM9IABFwBDswAAhIAANIAECQyABQ00gARONIAECYUABQ10gAEagEA0gAQ',
    'KBoAEzbSABoyXgEA0gAQKiAAEzDSAB8yUgEBANIAECwmABMx0gAaMrUCApoAAgYAUABiAAIuLAATMtIAFDJeAQIgAA4GAADS',
    'ABAwMgATM9IAITI00gAQMhQAEzTSABQyagEA0gAQNBoAFDXSAApeAQDSABA2IAAUNtIAD1IBAQDSABA4JgAUMNIACrsCCKYA',
    'ANIAEDosABQx0gAEXgEIJgAIDAAA0gAQPDIAEzLSACEzMNIAED4UABMz0gAUM2oBANIAEEAaABM00gAaM14BANIAEEIgABM1',
    '0gAfM1IBAQDSABBEJgATNtIAGjO8AgmgAEBiAAJGLAATMNIAFDNeAQgmAAgMAADSABBIMgAUMdIAETbSABBKFAAUMtIABGoB',
    'ANIAEEwaABQz0gAKXgEA0gAQTiAAFDTSAA9SAQHwCQAWAAJQAQp0b21iPwAUAAJSCGtleTEBAAAAAAA=',
  ].join(''),
  'base64',
);

/** Inputs for the encoders' tests (unit and compat): the edges of matching and framing. */
export function encoderInputs(): Array<[string, Buffer]> {
  const random = rng(42);
  const noise = Buffer.alloc(100_000);
  for (let i = 0; i < noise.length; i++) noise[i] = random(256);
  let text = '';
  for (let i = 0; i < 6000; i++) text += `{"key":"user-${i % 113}","value":"event ${i} ${'abcdefgh'.repeat(i % 7)}"}\n`;
  const mixed = Buffer.concat([Buffer.from(text.slice(0, 50_000)), noise.subarray(0, 30_000), Buffer.from(text.slice(0, 90_000))]);
  return [
    ['empty', Buffer.alloc(0)],
    ['one byte', Buffer.from('x')],
    ['eleven bytes', Buffer.from('abcabcabcab')],
    ['thirteen repeating bytes', Buffer.from('aaaaaaaaaaaaa')],
    ['incompressible 100 KB', noise],
    ['zeros 300 KB', Buffer.alloc(300_000)],
    ['text 400 KB', Buffer.from(text)],
    ['text, noise, text', mixed],
  ];
}
