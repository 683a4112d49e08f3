//! CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of Kafka's RecordBatch v2.
//!
//! Three implementations, chosen at run time:
//!  - x86_64 with SSE4.2 (detected once with `is_x86_feature_detected!`): the `crc32` instruction.
//!    It has a latency of 3 cycles and a throughput of 1 per cycle, so one dependent chain uses a
//!    third of the unit. Large inputs are therefore cut into three lanes that are checksummed
//!    side by side and then combined (see `shift` below), as in Intel's "Fast CRC Computation for
//!    iSCSI Polynomial Using CRC32 Instruction" and Mark Adler's crc32c.c.
//!  - anywhere else: slicing-by-8 tables, the same algorithm as the TypeScript twin
//!    (src/native/crc32c.ts).
//!
//! aarch64's CRC32C instructions are not used yet (no aarch64 toolchain to test them here).
//!
//! All functions work on the raw CRC register: `crc32c(data)` = `!update(!0, data)`.

pub const POLY: u32 = 0x82F6_3B78;

// -- GF(2) arithmetic modulo the polynomial, reflected (bit 31 is x^0) ----------------------------

/// a * b modulo P, in the reflected representation (Adler, crc32.c `multmodp`).
const fn mult_mod_p(a: u32, mut b: u32) -> u32 {
    let mut m: u32 = 1 << 31;
    let mut p: u32 = 0;
    loop {
        if a & m != 0 {
            p ^= b;
            if a & (m - 1) == 0 {
                break;
            }
        }
        m >>= 1;
        b = if b & 1 != 0 { (b >> 1) ^ POLY } else { b >> 1 };
    }
    p
}

/// x^(8 * bytes) modulo P: the factor that moves a CRC register past `bytes` zero bytes.
const fn x_pow_8n(bytes: u64) -> u32 {
    let mut p: u32 = 1 << 31; // x^0
    let mut sq: u32 = 1 << 23; // x^8
    let mut n = bytes;
    while n != 0 {
        if n & 1 != 0 {
            p = mult_mod_p(sq, p);
        }
        sq = mult_mod_p(sq, sq);
        n >>= 1;
    }
    p
}

/// CRC register of A‖B from the register after A (`crc_a`), the register of B started at 0
/// (`crc_b`) and B's length. CRC is linear: update(r, B) = shift(r, |B|) ^ update(0, B).
pub fn combine_raw(crc_a: u32, crc_b: u32, len_b: u64) -> u32 {
    mult_mod_p(x_pow_8n(len_b), crc_a) ^ crc_b
}

/// Multiplication by a fixed x^(8n) as four byte-table lookups (the map is linear in the register,
/// so it is the XOR of its values on each byte). Built at compile time.
struct ShiftTable([[u32; 256]; 4]);

impl ShiftTable {
    const fn new(bytes: u64) -> ShiftTable {
        let factor = x_pow_8n(bytes);
        let mut t = [[0u32; 256]; 4];
        let mut k = 0;
        while k < 4 {
            let mut v = 0;
            while v < 256 {
                t[k][v] = mult_mod_p(factor, (v as u32) << (8 * k));
                v += 1;
            }
            k += 1;
        }
        ShiftTable(t)
    }

    #[inline(always)]
    fn shift(&self, crc: u32) -> u32 {
        self.0[0][(crc & 0xff) as usize]
            ^ self.0[1][((crc >> 8) & 0xff) as usize]
            ^ self.0[2][((crc >> 16) & 0xff) as usize]
            ^ self.0[3][(crc >> 24) as usize]
    }
}

// -- software: slicing-by-8 ----------------------------------------------------------------------

const fn slicing_tables() -> [[u32; 256]; 8] {
    let mut t = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ POLY } else { c >> 1 };
            k += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    // Table k: the contribution of a byte followed by k zero bytes.
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let p = t[k - 1][i];
            t[k][i] = (p >> 8) ^ t[0][(p & 0xff) as usize];
            i += 1;
        }
        k += 1;
    }
    t
}

static SLICING: [[u32; 256]; 8] = slicing_tables();

/// Software update of the raw register (slicing-by-8).
pub fn update_sw(mut crc: u32, data: &[u8]) -> u32 {
    let t = &SLICING;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let lo = u32::from_le_bytes([c[0], c[1], c[2], c[3]]) ^ crc;
        let hi = u32::from_le_bytes([c[4], c[5], c[6], c[7]]);
        crc = t[7][(lo & 0xff) as usize]
            ^ t[6][((lo >> 8) & 0xff) as usize]
            ^ t[5][((lo >> 16) & 0xff) as usize]
            ^ t[4][(lo >> 24) as usize]
            ^ t[3][(hi & 0xff) as usize]
            ^ t[2][((hi >> 8) & 0xff) as usize]
            ^ t[1][((hi >> 16) & 0xff) as usize]
            ^ t[0][(hi >> 24) as usize];
    }
    for &b in chunks.remainder() {
        crc = t[0][((crc ^ b as u32) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

// -- hardware: SSE4.2 -------------------------------------------------------------------------------

/// Bytes per lane in the long and short interleaved loops. 3 × 8 KiB stays in L1 alongside the
/// shift tables; 3 × 256 B lets mid-sized batches (a few KiB) use all three lanes too. Below
/// 3 × SHORT_LANE bytes one chain is used.
const LONG_LANE: usize = 8192;
const SHORT_LANE: usize = 256;

#[cfg(target_arch = "x86_64")]
static SHIFT_LONG: ShiftTable = ShiftTable::new(LONG_LANE as u64);
#[cfg(target_arch = "x86_64")]
static SHIFT_SHORT: ShiftTable = ShiftTable::new(SHORT_LANE as u64);

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{ShiftTable, LONG_LANE, SHIFT_LONG, SHIFT_SHORT, SHORT_LANE};
    use core::arch::x86_64::{_mm_crc32_u64, _mm_crc32_u8};

    #[inline(always)]
    fn word(data: &[u8], at: usize) -> u64 {
        // The slice index is checked; the compiler drops the check inside the counted loops.
        u64::from_le_bytes(data[at..at + 8].try_into().unwrap())
    }

    /// One chain over all of `data`.
    #[target_feature(enable = "sse4.2")]
    unsafe fn chain(mut crc: u32, data: &[u8]) -> u32 {
        let mut chunks = data.chunks_exact(8);
        for c in &mut chunks {
            crc = _mm_crc32_u64(crc as u64, u64::from_le_bytes(c.try_into().unwrap())) as u32;
        }
        for &b in chunks.remainder() {
            crc = _mm_crc32_u8(crc, b);
        }
        crc
    }

    /// Consumes as many blocks of 3 × `lane` bytes as `data` holds, returning the register and
    /// the bytes left.
    #[target_feature(enable = "sse4.2")]
    unsafe fn lanes<'a>(mut crc: u32, mut data: &'a [u8], lane: usize, table: &ShiftTable) -> (u32, &'a [u8]) {
        while data.len() >= 3 * lane {
            let (block, rest) = data.split_at(3 * lane);
            let (a, bc) = block.split_at(lane);
            let (b, c) = bc.split_at(lane);
            let (mut ca, mut cb, mut cc) = (crc as u64, 0u64, 0u64);
            let mut i = 0;
            while i < lane {
                ca = _mm_crc32_u64(ca, word(a, i));
                cb = _mm_crc32_u64(cb, word(b, i));
                cc = _mm_crc32_u64(cc, word(c, i));
                i += 8;
            }
            // update(r, A‖B‖C) = shift(shift(update(r, A)) ^ update(0, B)) ^ update(0, C),
            // each shift moving past `lane` bytes.
            crc = table.shift(table.shift(ca as u32) ^ cb as u32) ^ cc as u32;
            data = rest;
        }
        (crc, data)
    }

    #[target_feature(enable = "sse4.2")]
    pub unsafe fn update(crc: u32, data: &[u8]) -> u32 {
        let (crc, rest) = lanes(crc, data, LONG_LANE, &SHIFT_LONG);
        let (crc, rest) = lanes(crc, rest, SHORT_LANE, &SHIFT_SHORT);
        chain(crc, rest)
    }

    /// The single-chain hardware path, exposed for tests and benchmarks of the lane split.
    #[target_feature(enable = "sse4.2")]
    pub unsafe fn update_one_chain(crc: u32, data: &[u8]) -> u32 {
        chain(crc, data)
    }
}

/// True when this CPU has a hardware CRC-32C the crate uses.
pub fn hardware() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("sse4.2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Updates a raw register with `data`, in hardware when the CPU allows.
pub fn update(crc: u32, data: &[u8]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("sse4.2") {
            // SAFETY: the CPU supports SSE4.2, checked just above.
            return unsafe { x86::update(crc, data) };
        }
    }
    update_sw(crc, data)
}

/// CRC-32C of `data`.
pub fn crc32c(data: &[u8]) -> u32 {
    !update(!0, data)
}

/// CRC-32C of `data` with the software tables only.
pub fn crc32c_sw(data: &[u8]) -> u32 {
    !update_sw(!0, data)
}

/// CRC-32C with one hardware chain (no lanes); None without SSE4.2. For tests and benchmarks.
pub fn crc32c_one_chain(data: &[u8]) -> Option<u32> {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("sse4.2") {
            // SAFETY: the CPU supports SSE4.2, checked just above.
            return Some(!unsafe { x86::update_one_chain(!0, data) });
        }
    }
    let _ = data;
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit-at-a-time reference: obviously correct and slow.
    fn reference(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ POLY } else { crc >> 1 };
            }
        }
        !crc
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            // xorshift64*
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
        let mut r = Rng(seed);
        (0..n).map(|_| r.next() as u8).collect()
    }

    #[test]
    fn check_value() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c_sw(b"123456789"), 0xE306_9283);
    }

    #[test]
    fn empty_is_zero() {
        assert_eq!(crc32c(&[]), 0);
        assert_eq!(crc32c_sw(&[]), 0);
    }

    #[test]
    fn rfc3720_vectors() {
        let inc: Vec<u8> = (0..32).collect();
        let dec: Vec<u8> = (0..32).rev().collect();
        let pdu = [
            0x01, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x14, 0, 0, 0, 0, 0, 0x04, 0, 0, 0, 0, 0x14, 0, 0, 0,
            0x18, 0x28, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0,
        ];
        for f in [crc32c as fn(&[u8]) -> u32, crc32c_sw] {
            assert_eq!(f(&[0u8; 32]), 0x8A91_36AA);
            assert_eq!(f(&[0xffu8; 32]), 0x62A8_AB43);
            assert_eq!(f(&inc), 0x46DD_794E);
            assert_eq!(f(&dec), 0x113F_DB5C);
            assert_eq!(f(&pdu), 0xD996_3A56);
        }
    }

    #[test]
    fn software_matches_reference_at_every_length_and_alignment() {
        let buf = random_bytes(300, 1);
        for start in 0..9 {
            for end in start..=buf.len() {
                assert_eq!(crc32c_sw(&buf[start..end]), reference(&buf[start..end]), "[{start}, {end})");
            }
        }
    }

    #[test]
    fn hardware_matches_software_around_every_lane_boundary() {
        // Lengths on both sides of the single-chain, short-lane and long-lane cut-offs.
        let buf = random_bytes(3 * LONG_LANE * 2 + 64, 2);
        let mut lengths = vec![];
        for base in [0, 3 * SHORT_LANE, 6 * SHORT_LANE, 3 * LONG_LANE, 6 * LONG_LANE] {
            for d in 0..=17 {
                lengths.push(base + d);
                if base >= d {
                    lengths.push(base - d);
                }
            }
        }
        for &len in &lengths {
            for start in 0..9 {
                let s = &buf[start..start + len];
                assert_eq!(crc32c(s), crc32c_sw(s), "len {len} start {start}");
                if let Some(one) = crc32c_one_chain(s) {
                    assert_eq!(one, crc32c_sw(s), "one chain, len {len} start {start}");
                }
            }
        }
    }

    #[test]
    fn hardware_matches_software_on_random_lengths_and_alignments() {
        let buf = random_bytes(200_000, 3);
        let mut r = Rng(4);
        for _ in 0..2000 {
            let start = r.below(64);
            let len = match r.below(3) {
                0 => r.below(1024),
                1 => r.below(32 * 1024),
                _ => r.below(buf.len() - 64),
            };
            let s = &buf[start..start + len];
            assert_eq!(crc32c(s), crc32c_sw(s), "len {len} start {start}");
        }
    }

    #[test]
    fn combine_joins_two_crcs() {
        let buf = random_bytes(5000, 5);
        for cut in [0, 1, 7, 8, 100, 2500, 4999, 5000] {
            let (a, b) = buf.split_at(cut);
            let joined = combine_raw(update_sw(!0, a), update_sw(0, b), b.len() as u64);
            assert_eq!(!joined, crc32c_sw(&buf), "cut {cut}");
        }
    }

    #[test]
    fn shift_table_equals_multiplication() {
        let t = ShiftTable::new(SHORT_LANE as u64);
        let mut r = Rng(6);
        for _ in 0..1000 {
            let v = r.next() as u32;
            assert_eq!(t.shift(v), mult_mod_p(x_pow_8n(SHORT_LANE as u64), v));
            // Shifting past n bytes equals updating with n zero bytes.
            assert_eq!(t.shift(v), update_sw(v, &[0u8; SHORT_LANE]));
        }
    }
}
