/**
 * The metric names in a KIP-714 push: the payload is an OpenTelemetry `MetricsData` message
 * (opentelemetry-proto, metrics/v1/metrics.proto) in protobuf's binary encoding:
 *
 *   MetricsData    { repeated ResourceMetrics resource_metrics = 1; }
 *   ResourceMetrics{ Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; ... }
 *   ScopeMetrics   { InstrumentationScope scope = 1; repeated Metric metrics = 2; ... }
 *   Metric         { string name = 1; ... }
 *
 * Protobuf's wire format: each field is a varint key (field number << 3 | wire type) then its
 * value: wire type 0 a varint, 1 eight bytes, 2 a varint length and that many bytes (messages,
 * strings), 5 four bytes. Only the path above is followed, every other field is skipped by its
 * wire type; every length is checked against the bytes left, and a malformed payload ends the walk
 * with the names found so far (the broker only shows them, as Kafka's receiver plugins may).
 */

class Walk {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  /** A varint up to 2^53 (longer ones, legal in protobuf, are not needed for lengths and keys). */
  varint(): number | null {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) return null;
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
    return null;
  }

  /** Skips a value of `wireType`; false when it does not fit or the type is unknown (groups are long gone). */
  skip(wireType: number): boolean {
    switch (wireType) {
      case 0:
        return this.varint() !== null;
      case 1:
        this.pos += 8;
        return this.pos <= this.end;
      case 2: {
        const n = this.varint();
        if (n === null || n > this.end - this.pos) return false;
        this.pos += n;
        return true;
      }
      case 5:
        this.pos += 4;
        return this.pos <= this.end;
      default:
        return false;
    }
  }

  /** Calls `onField(field, start, end)` for each length-delimited field; stops at the first malformed one. */
  each(onField: (field: number, start: number, end: number) => boolean): void {
    while (this.pos < this.end) {
      const key = this.varint();
      if (key === null) return;
      const field = Math.floor(key / 8);
      const wireType = key % 8;
      if (wireType !== 2) {
        if (!this.skip(wireType)) return;
        continue;
      }
      const n = this.varint();
      if (n === null || n > this.end - this.pos) return;
      const start = this.pos;
      this.pos += n;
      if (!onField(field, start, start + n)) return;
    }
  }
}

/** The distinct metric names of a MetricsData payload, in the order met, at most `max` of them. */
export function otlpMetricNames(payload: Buffer, max: number): string[] {
  const names = new Set<string>();
  const within = (start: number, end: number, field: number, then: (s: number, e: number) => boolean): boolean => {
    new Walk(payload, start, end).each((f, s, e) => (f === field ? then(s, e) : true));
    return names.size < max;
  };
  within(0, payload.length, 1, (rs, re) =>
    within(rs, re, 2, (ss, se) =>
      within(ss, se, 2, (ms, me) =>
        within(ms, me, 1, (ns, ne) => {
          if (names.size < max) names.add(payload.toString('utf8', ns, ne));
          return names.size < max;
        }),
      ),
    ),
  );
  return [...names];
}
