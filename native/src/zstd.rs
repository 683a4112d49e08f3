//! Bounded zstd decompression of a record batch's records section (Kafka's compression type 4),
//! and its compression, through libzstd (the zstd-safe crate; why that crate: Cargo.toml).
//!
//! Compression (`compress`): one frame from libzstd's one-shot ZSTD_compressCCtx at the given
//! level (Kafka's compression.zstd.level: -131072..22, 0 meaning libzstd's default 3; libzstd
//! clamps anything outside its own range), with the content size in the header and no checksum,
//! which every Kafka client's decoder reads. The input is what the broker built (a batch it
//! recompresses or the cleaner rewrote), bounded by the batch limits, so the output is sized by
//! ZSTD_compressBound up front.
//!
//! Input: zero or more frames as RFC 8878 defines them, one after another: Zstandard frames
//! (magic 0xFD2FB528) and skippable frames (magic 0x184D2A50-5F, skipped). Output: the frames'
//! contents concatenated.
//!
//! Bounds, so that a hostile batch costs about `max_bytes` of resident memory at most, and time
//! linear in input and output:
//!  - output never exceeds `max_bytes`: it grows as libzstd produces it (never sized from a
//!    header), and decoding stops with `Error::Limit` as soon as it would pass the bound;
//!  - a frame whose header declares a content size larger than what is left of the bound is
//!    refused before anything is allocated for it (a "zstd bomb" costs nothing);
//!  - libzstd's own window buffer, for a frame without a content size, is sized by the frame's
//!    window, at most 2^WINDOW_LOG_MAX bytes (libzstd's default, which Kafka's zstd-jni keeps);
//!    larger windows are refused. That is address space: only the pages written are touched,
//!    and no more is written than the output.
//!
//! A frame's optional XXH64 content checksum is skipped, not verified (ZSTD_d_forceIgnoreChecksum),
//! as the lz4 decoder skips its xxhash32: the batch's CRC-32C already covers the compressed bytes,
//! and the TypeScript twin (src/native/zstd-decoder.ts) then gives the same answers.
//!
//! Malformed input (bad magic, truncated frame, corrupt block, a frame with a dictionary id) is
//! `Error::Malformed` with libzstd's reason; nothing here panics on any input.

use std::cell::RefCell;
use zstd_safe::{get_error_name, CCtx, DCtx, DParameter, InBuffer, OutBuffer, ResetDirective};

/// Largest window accepted, as a power of two: 128 MiB (ZSTD_WINDOWLOG_LIMIT_DEFAULT).
pub const WINDOW_LOG_MAX: u32 = 27;

/// First growth step of the output, and the smallest.
const GROW_MIN_BYTES: usize = 64 * 1024;

#[derive(Debug, PartialEq, Eq)]
pub enum Error {
    /// The output would exceed the bound (which is given).
    Limit(usize),
    /// A frame header declares more content than is left of the bound: refused before decoding.
    Declared { declared: u64, left: usize },
    Malformed(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Limit(max) => write!(f, "zstd: output exceeds the limit of {max} bytes"),
            Error::Declared { declared, left } => {
                write!(f, "zstd: a frame declares {declared} bytes of content, past the limit ({left} bytes left)")
            }
            Error::Malformed(why) => write!(f, "zstd: {why}"),
        }
    }
}

thread_local! {
    /// The decompression context of this thread, reused: creating one and its buffers costs more
    /// than decoding a small batch. Reset at the start of every call (which also clears an error
    /// left by the previous one). libzstd frees buffers that stay much larger than the frames
    /// need after some calls (ZSTD_WORKSPACETOOLARGE_MAXDURATION), so one large frame does not pin
    /// its window for long; only the pages written are resident meanwhile.
    static DCTX: RefCell<Option<DCtx<'static>>> = const { RefCell::new(None) };
}

/// The decompressed contents of every frame in `src`, at most `max_bytes` of them.
pub fn decompress(src: &[u8], max_bytes: usize) -> Result<Vec<u8>, Error> {
    DCTX.with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) => {
            if slot.is_none() {
                *slot = Some(new_dctx()?);
            }
            match slot.as_mut() {
                Some(dctx) => {
                    dctx.reset(ResetDirective::SessionOnly).map_err(libzstd)?;
                    decompress_with(dctx, src, max_bytes)
                }
                None => decompress_with(&mut new_dctx()?, src, max_bytes),
            }
        }
        // In use further up this thread's stack: cannot happen (nothing here calls back), but a
        // fresh context is always correct.
        Err(_) => decompress_with(&mut new_dctx()?, src, max_bytes),
    })
}

thread_local! {
    /// The compression context of this thread, reused as DCTX is (ZSTD_compressCCtx starts every
    /// frame afresh).
    static CCTX: RefCell<Option<CCtx<'static>>> = const { RefCell::new(None) };
}

/// Smallest and largest levels accepted (Kafka's ZStdCompression MIN_LEVEL and MAX_LEVEL,
/// libzstd's ZSTD_minCLevel and ZSTD_MAX_CLEVEL).
pub const LEVEL_MIN: i32 = -131072;
pub const LEVEL_MAX: i32 = 22;

/// One zstd frame holding `src`, compressed at `level` (LEVEL_MIN..=LEVEL_MAX; 0 is libzstd's
/// default). Fails only when the level is out of range or libzstd cannot allocate.
pub fn compress(src: &[u8], level: i32) -> Result<Vec<u8>, Error> {
    if !(LEVEL_MIN..=LEVEL_MAX).contains(&level) {
        return Err(Error::Malformed(format!("compression level {level} outside [{LEVEL_MIN}, {LEVEL_MAX}]")));
    }
    let mut out = Vec::with_capacity(zstd_safe::compress_bound(src.len()));
    CCTX.with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) => {
            if slot.is_none() {
                *slot = Some(CCtx::try_create().ok_or_else(|| Error::Malformed("cannot create a compression context (out of memory)".into()))?);
            }
            match slot.as_mut() {
                Some(cctx) => cctx.compress(&mut out, src, level).map_err(libzstd),
                None => Err(Error::Malformed("no compression context".into())),
            }
        }
        Err(_) => {
            let mut cctx = CCtx::try_create().ok_or_else(|| Error::Malformed("cannot create a compression context (out of memory)".into()))?;
            cctx.compress(&mut out, src, level).map_err(libzstd)
        }
    })?;
    Ok(out)
}

fn new_dctx() -> Result<DCtx<'static>, Error> {
    let mut dctx = DCtx::try_create().ok_or_else(|| Error::Malformed("cannot create a decompression context (out of memory)".into()))?;
    dctx.set_parameter(DParameter::WindowLogMax(WINDOW_LOG_MAX)).map_err(libzstd)?;
    dctx.set_parameter(DParameter::ForceIgnoreChecksum(true)).map_err(libzstd)?;
    Ok(dctx)
}

fn decompress_with(dctx: &mut DCtx, src: &[u8], max_bytes: usize) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < src.len() {
        let rest = &src[pos..];
        let frame_len = zstd_safe::find_frame_compressed_size(rest).map_err(libzstd)?;
        if frame_len == 0 || frame_len > rest.len() {
            return Err(Error::Malformed(format!("frame of {frame_len} bytes with {} left", rest.len())));
        }
        // A skippable frame's "content size" is 0; an unknown one is None.
        if let Ok(Some(declared)) = zstd_safe::get_frame_content_size(rest) {
            let left = max_bytes - out.len();
            if declared > left as u64 {
                return Err(Error::Declared { declared, left });
            }
        }
        decode_frame(dctx, &rest[..frame_len], max_bytes, &mut out)?;
        pos += frame_len;
    }
    Ok(out)
}

/// Streams one frame (exactly `frame`) into `out`, growing it by steps up to `max_bytes` + 1 (the
/// extra byte tells "exactly at the bound" from "past it").
fn decode_frame(dctx: &mut DCtx, frame: &[u8], max_bytes: usize, out: &mut Vec<u8>) -> Result<(), Error> {
    let mut input = InBuffer::around(frame);
    loop {
        if out.len() == out.capacity() {
            if out.len() > max_bytes {
                return Err(Error::Limit(max_bytes));
            }
            let step = out.capacity().max(GROW_MIN_BYTES).min(max_bytes + 1 - out.len());
            out.try_reserve_exact(step).map_err(|_| Error::Malformed(format!("cannot allocate {step} bytes")))?;
        }
        let before = (input.pos, out.len());
        let start = out.len();
        let hint = {
            let mut ob = OutBuffer::around_pos(out, start);
            dctx.decompress_stream(&mut ob, &mut input).map_err(libzstd)?
        };
        if out.len() > max_bytes {
            return Err(Error::Limit(max_bytes));
        }
        if hint == 0 {
            return if input.pos == frame.len() { Ok(()) } else { Err(Error::Malformed("frame ended before its last block".into())) };
        }
        // No progress with room left on both sides: the frame is cut short.
        if (input.pos, out.len()) == before && out.len() < out.capacity() {
            return Err(Error::Malformed("truncated frame".into()));
        }
    }
}

fn libzstd(code: usize) -> Error {
    Error::Malformed(get_error_name(code).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "hello zstd" in a frame built by hand: magic, FHD 0x20 (single segment, 1-byte content
    /// size), content size 10, block header (last, raw, 10 bytes), the bytes. Frames from a real
    /// encoder are tested from TypeScript (src/native/zstd.test.ts).
    fn hello() -> Vec<u8> {
        let mut f = vec![0x28, 0xb5, 0x2f, 0xfd, 0x20, 10];
        let header: u32 = 1 | (10 << 3);
        f.extend_from_slice(&header.to_le_bytes()[..3]);
        f.extend_from_slice(b"hello zstd");
        f
    }

    #[test]
    fn raw_block_frame() {
        assert_eq!(decompress(&hello(), 100).unwrap(), b"hello zstd");
    }

    #[test]
    fn concatenated_and_skippable_frames() {
        let mut src = hello();
        src.extend_from_slice(&[0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
        src.extend_from_slice(&hello());
        assert_eq!(decompress(&src, 100).unwrap(), b"hello zstdhello zstd");
    }

    #[test]
    fn empty_input_is_empty_output() {
        assert_eq!(decompress(&[], 0).unwrap(), b"");
    }

    #[test]
    fn over_the_bound() {
        assert_eq!(decompress(&hello(), 9), Err(Error::Declared { declared: 10, left: 9 }));
        let mut unsized_frame = hello();
        unsized_frame.remove(5); // no content size: FHD 0x00 needs a window descriptor instead
        unsized_frame[4] = 0x00;
        unsized_frame.insert(5, 0x00); // window 1 KiB
        assert_eq!(decompress(&unsized_frame, 100).unwrap(), b"hello zstd");
        assert_eq!(decompress(&unsized_frame, 9), Err(Error::Limit(9)));
        assert_eq!(decompress(&hello(), 10).unwrap().len(), 10);
    }

    #[test]
    fn truncated_and_garbage() {
        let f = hello();
        for cut in 1..f.len() {
            assert!(matches!(decompress(&f[..cut], 100), Err(Error::Malformed(_))), "cut at {cut}");
        }
        assert!(matches!(decompress(b"not zstd at all", 100), Err(Error::Malformed(_))));
    }

    #[test]
    fn an_error_does_not_spoil_the_next_call() {
        let mut cut = hello();
        cut.truncate(8);
        assert!(decompress(&cut, 100).is_err());
        assert_eq!(decompress(&hello(), 100).unwrap(), b"hello zstd");
    }

    #[test]
    fn compress_round_trips_at_every_level_class() {
        let plain: Vec<u8> = (0..100_000u32).flat_map(|i| format!("key-{} value {}\n", i % 97, i).into_bytes()).collect();
        for level in [LEVEL_MIN, -5, 0, 1, 3, 9, 19] {
            let frame = compress(&plain, level).unwrap();
            // The lowest levels trade all compression for speed: only the round trip is asserted.
            assert!(level < 0 || frame.len() < plain.len() / 4, "level {level}: {} bytes", frame.len());
            assert_eq!(decompress(&frame, plain.len()).unwrap(), plain, "level {level}");
            assert!(matches!(decompress(&frame, plain.len() - 1), Err(Error::Declared { .. })));
        }
        assert_eq!(decompress(&compress(b"", 3).unwrap(), 0).unwrap(), b"");
        assert!(compress(b"x", LEVEL_MAX + 1).is_err());
        assert!(compress(b"x", LEVEL_MIN - 1).is_err());
    }

    #[test]
    fn mutations_never_panic() {
        let f = hello();
        let mut seed: u32 = 7;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let mut m = f.clone();
            let i = (seed as usize) % m.len();
            m[i] = (seed >> 8) as u8;
            let _ = decompress(&m, 1000);
        }
    }
}
