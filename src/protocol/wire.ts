/**
 * Wire primitives of the Kafka protocol: a bounds-checked reader with a sticky error and a
 * growable writer.
 *
 * Reader: every read checks the bytes left first. The first failure sets `error` and every later
 * read returns a zero value without touching the buffer, so a decoder runs straight through and
 * the caller checks `reader.error` once at the end (principle 5 in STYLE.md). No length taken from
 * the wire is ever used to allocate before it has been checked against the bytes that remain.
 *
 * Integers are big-endian. int64 is a bigint. VARINT/VARLONG are zigzag (only inside records);
 * UNSIGNED_VARINT is plain LEB128 (compact lengths, tagged fields). Compact lengths are N+1 with
 * 0 meaning null.
 */

export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** Largest array count we accept before even looking at element sizes: a cheap first guard. */
const ARRAY_COUNT_MAX = 1 << 24;

export class Reader {
  offset: number;
  error: string | null = null;

  constructor(
    readonly buf: Buffer,
    offset = 0,
    readonly end = buf.length,
  ) {
    this.offset = offset;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  fail(message: string): void {
    if (this.error === null) this.error = `${message} at byte ${this.offset}`;
    this.offset = this.end;
  }

  /** Throws the sticky error, if any. Call once after decoding. */
  check(): void {
    if (this.error !== null) throw new DecodeError(this.error);
  }

  private need(n: number): boolean {
    if (this.error !== null) return false;
    if (n > this.end - this.offset) {
      this.fail(`need ${n} bytes, ${this.end - this.offset} left`);
      return false;
    }
    return true;
  }

  int8(): number {
    if (!this.need(1)) return 0;
    return this.buf.readInt8(this.offset++);
  }

  uint8(): number {
    if (!this.need(1)) return 0;
    return this.buf[this.offset++]!;
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    if (!this.need(2)) return 0;
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  uint16(): number {
    if (!this.need(2)) return 0;
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    if (!this.need(4)) return 0;
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  uint32(): number {
    if (!this.need(4)) return 0;
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  int64(): bigint {
    if (!this.need(8)) return 0n;
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  float64(): number {
    if (!this.need(8)) return 0;
    const v = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  uuid(): Buffer {
    if (!this.need(16)) return Buffer.alloc(16);
    const v = this.buf.subarray(this.offset, this.offset + 16);
    this.offset += 16;
    return v;
  }

  /** Unsigned LEB128, at most 5 bytes (32 bits). */
  uvarint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (!this.need(1)) return 0;
      const byte = this.buf[this.offset++]!;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        if (result > 0xffffffff) {
          this.fail('unsigned varint exceeds 32 bits');
          return 0;
        }
        return result;
      }
    }
    this.fail('unsigned varint longer than 5 bytes');
    return 0;
  }

  /** Zigzag varint (int32). */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Zigzag varlong (int64), at most 10 bytes. */
  varlong(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (!this.need(1)) return 0n;
      const byte = this.buf[this.offset++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) {
        result = BigInt.asUintN(64, result);
        return (result >> 1n) ^ -(result & 1n);
      }
    }
    this.fail('varlong longer than 10 bytes');
    return 0n;
  }

  /** Takes `n` bytes as a view (no copy). */
  bytesView(n: number): Buffer {
    if (n < 0) {
      this.fail(`negative length ${n}`);
      return EMPTY;
    }
    if (!this.need(n)) return EMPTY;
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  private utf8(n: number): string {
    if (!this.need(n)) return '';
    const v = this.buf.toString('utf8', this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  string(): string {
    const n = this.int16();
    if (n < 0) {
      this.fail(`null or negative string length ${n}`);
      return '';
    }
    return this.utf8(n);
  }

  nullableString(): string | null {
    const n = this.int16();
    if (n === -1) return null;
    if (n < 0) {
      this.fail(`negative string length ${n}`);
      return null;
    }
    return this.utf8(n);
  }

  compactString(): string {
    const n = this.uvarint() - 1;
    if (n < 0) {
      this.fail('null compact string where a string is required');
      return '';
    }
    return this.utf8(n);
  }

  compactNullableString(): string | null {
    const n = this.uvarint() - 1;
    if (n === -1) return null;
    return this.utf8(n);
  }

  bytes(): Buffer {
    const n = this.int32();
    if (n < 0) {
      this.fail(`null or negative bytes length ${n}`);
      return EMPTY;
    }
    return this.bytesView(n);
  }

  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n === -1) return null;
    if (n < 0) {
      this.fail(`negative bytes length ${n}`);
      return null;
    }
    return this.bytesView(n);
  }

  compactBytes(): Buffer {
    const n = this.uvarint() - 1;
    if (n < 0) {
      this.fail('null compact bytes where bytes are required');
      return EMPTY;
    }
    return this.bytesView(n);
  }

  compactNullableBytes(): Buffer | null {
    const n = this.uvarint() - 1;
    if (n === -1) return null;
    return this.bytesView(n);
  }

  /**
   * Array count (int32, -1 = null). Each element takes at least `minElementBytes` on the wire, so a
   * count larger than the bytes left can allow is refused before any allocation.
   */
  arrayCount(minElementBytes: number): number {
    const n = this.int32();
    if (n === -1) return -1;
    return this.checkCount(n, minElementBytes);
  }

  /** Compact array count (uvarint N+1, 0 = null). Returns -1 for null. */
  compactArrayCount(minElementBytes: number): number {
    const n = this.uvarint() - 1;
    if (n === -1) return -1;
    return this.checkCount(n, minElementBytes);
  }

  private checkCount(n: number, minElementBytes: number): number {
    if (this.error !== null) return 0;
    if (n < 0 || n > ARRAY_COUNT_MAX || n * Math.max(1, minElementBytes) > this.remaining) {
      this.fail(`array count ${n} does not fit in ${this.remaining} bytes left`);
      return 0;
    }
    return n;
  }

  /**
   * Reads a tagged-field section. Known tags are handed to `onTag` with a reader bounded to the
   * field's bytes; unknown tags are skipped. Tags must be strictly ascending.
   */
  taggedFields(onTag?: (tag: number, field: Reader) => boolean): void {
    const count = this.uvarint();
    let lastTag = -1;
    for (let i = 0; i < count && this.error === null; i++) {
      const tag = this.uvarint();
      const size = this.uvarint();
      if (tag <= lastTag) {
        this.fail(`tagged field ${tag} out of order`);
        return;
      }
      lastTag = tag;
      if (!this.need(size)) return;
      const start = this.offset;
      this.offset += size;
      if (onTag) {
        const field = new Reader(this.buf, start, start + size);
        if (onTag(tag, field)) {
          if (field.error !== null) this.fail(`tagged field ${tag}: ${field.error}`);
        }
      }
    }
  }
}

export const EMPTY: Buffer = Buffer.alloc(0);

/**
 * Growable big-endian writer. `finish()` returns a view of the bytes written.
 *
 * With `referenceBytesMin`, a byte field at least that long (the records of a fetch response) is
 * not copied in: the writer keeps a reference to it, and `finishPieces()` returns the output as a
 * list of buffers (own bytes, referenced field, own bytes, ...) to be written in order, e.g. by
 * one writev. The referenced buffers must not change until they are written. `finish()` may not
 * be used then.
 */
export class Writer {
  buf: Buffer;
  offset: number;
  /** Output so far when fields were referenced: views of own bytes and the fields, in order. */
  private pieces: Buffer[] | null = null;
  /** Where in `buf` the own bytes not yet in `pieces` start. */
  private pieceStart = 0;

  constructor(
    initialBytes = 256,
    private readonly referenceBytesMin = Number.POSITIVE_INFINITY,
  ) {
    this.buf = Buffer.allocUnsafe(initialBytes);
    this.offset = 0;
  }

  private ensure(n: number): void {
    if (this.offset + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.offset + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.offset);
    this.buf = next;
  }

  finish(): Buffer {
    if (this.pieces !== null) throw new Error('Writer.finish() after a referenced field: use finishPieces()');
    return this.buf.subarray(0, this.offset);
  }

  /** The output as buffers to write in order (one, unless fields were referenced). */
  finishPieces(): Buffer[] {
    const tail = this.buf.subarray(this.pieceStart, this.offset);
    if (this.pieces === null) return [tail];
    return tail.length > 0 ? [...this.pieces, tail] : [...this.pieces];
  }

  /** Total bytes written, referenced fields included. */
  get length(): number {
    let n = this.offset - this.pieceStart;
    if (this.pieces !== null) for (const p of this.pieces) n += p.length;
    return n;
  }

  int8(v: number): void {
    this.ensure(1);
    this.buf.writeInt8(v, this.offset);
    this.offset += 1;
  }

  uint8(v: number): void {
    this.ensure(1);
    this.buf[this.offset++] = v;
  }

  bool(v: boolean): void {
    this.int8(v ? 1 : 0);
  }

  int16(v: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.offset);
    this.offset += 2;
  }

  uint16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.offset);
    this.offset += 2;
  }

  int32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.offset);
    this.offset += 4;
  }

  uint32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.offset);
    this.offset += 4;
  }

  int64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.offset);
    this.offset += 8;
  }

  float64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.offset);
    this.offset += 8;
  }

  uuid(v: Buffer): void {
    if (v.length !== 16) throw new Error(`uuid must be 16 bytes, got ${v.length}`);
    this.raw(v);
  }

  uvarint(v: number): void {
    if (v < 0 || v > 0xffffffff || !Number.isInteger(v)) throw new Error(`bad unsigned varint ${v}`);
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.offset++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.offset++] = v;
  }

  varint(v: number): void {
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  varlong(v: bigint): void {
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    this.ensure(10);
    while (u >= 0x80n) {
      this.buf[this.offset++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.offset++] = Number(u);
  }

  raw(v: Buffer): void {
    if (v.length >= this.referenceBytesMin) {
      // Own bytes so far stay where they are (a later ensure() copies them to a new buffer,
      // leaving this view on the old one intact) and the field is referenced, not copied.
      const own = this.buf.subarray(this.pieceStart, this.offset);
      this.pieces ??= [];
      if (own.length > 0) this.pieces.push(own);
      this.pieces.push(v);
      this.pieceStart = this.offset;
      return;
    }
    this.ensure(v.length);
    v.copy(this.buf, this.offset);
    this.offset += v.length;
  }

  string(v: string): void {
    const n = Buffer.byteLength(v);
    if (n > 0x7fff) throw new Error(`string of ${n} bytes is too long for int16 length`);
    this.int16(n);
    this.ensure(n);
    this.buf.write(v, this.offset, 'utf8');
    this.offset += n;
  }

  nullableString(v: string | null): void {
    if (v === null) this.int16(-1);
    else this.string(v);
  }

  compactString(v: string): void {
    const n = Buffer.byteLength(v);
    this.uvarint(n + 1);
    this.ensure(n);
    this.buf.write(v, this.offset, 'utf8');
    this.offset += n;
  }

  compactNullableString(v: string | null): void {
    if (v === null) this.uvarint(0);
    else this.compactString(v);
  }

  bytes(v: Buffer): void {
    this.int32(v.length);
    this.raw(v);
  }

  nullableBytes(v: Buffer | null): void {
    if (v === null) this.int32(-1);
    else this.bytes(v);
  }

  compactBytes(v: Buffer): void {
    this.uvarint(v.length + 1);
    this.raw(v);
  }

  compactNullableBytes(v: Buffer | null): void {
    if (v === null) this.uvarint(0);
    else this.compactBytes(v);
  }

  arrayCount(n: number | null): void {
    this.int32(n === null ? -1 : n);
  }

  compactArrayCount(n: number | null): void {
    this.uvarint(n === null ? 0 : n + 1);
  }

  /** Writes a tagged-field section from already-encoded fields, in ascending tag order. */
  taggedFields(fields: Array<[tag: number, bytes: Buffer]> = []): void {
    this.uvarint(fields.length);
    for (const [tag, bytes] of fields) {
      this.uvarint(tag);
      this.uvarint(bytes.length);
      this.raw(bytes);
    }
  }
}

export const ZERO_UUID: Buffer = Buffer.alloc(16);
