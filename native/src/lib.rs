//! Sluice's native addon: a Node-API module (loaded only by src/native/addon.ts) that speeds up
//! the produce path. Every function here has a TypeScript twin in src/native/ with the same
//! results; the addon is an accelerator, never a requirement (STYLE.md principle 9).
//!
//! JavaScript surface (`exports`), all synchronous:
//!   abiVersion: number            bumped whenever a signature below changes; the loader refuses
//!                                 an addon whose version differs from the one it was written for
//!   crc32cHardware: boolean       whether CRC-32C runs on the CPU's crc32 instruction (SSE4.2)
//!   crc32c(buf: Buffer, start: number, end: number): number
//!                                 CRC-32C of buf[start, end), unsigned; RangeError outside buf
//!   validateBatches(buf: Buffer, start: number, client: number, maxBatchBytes: number,
//!                   segmentBytes: number, out: Buffer): number
//!                                 header + CRC checks of the concatenated v2 batches in buf from
//!                                 byte start, and every record of an uncompressed client batch
//!                                 (client: 1 for AppendOrigin CLIENT, 0 for internal;
//!                                 segmentBytes NaN for none); writes one 80-byte record per batch
//!                                 into out and returns the count, or -kind on failure, -99 when
//!                                 out is full and more batches follow (batch.rs)
//!   assignOffsets(buf: Buffer, position: number, baseOffset: bigint, leaderEpoch: number): void
//!                                 overwrites baseOffset and partitionLeaderEpoch of one batch
//!   zstdDecompress(src: Buffer, maxBytes: number): Buffer
//!                                 the contents of the zstd frames in src (skippable frames
//!                                 skipped), at most maxBytes of them; throws an Error with code
//!                                 SLUICE_DECODE when src is malformed or the output would pass
//!                                 maxBytes (zstd.rs, through libzstd)
//!   zstdCompress(src: Buffer, level: number): Buffer
//!                                 one zstd frame holding src at the compression level (an integer
//!                                 in -131072..=22, 0 for libzstd's default); RangeError outside
//!                                 (zstd.rs)
//!   fileWrite(fd: number, buf: Buffer, position: number): void
//!                                 pwrite of all of buf at position (io.rs)
//!   fileRead(fd: number, into: Buffer, intoOffset: number, length: number, position: number): number
//!                                 pread into into[intoOffset, intoOffset + length) until full or
//!                                 the end of the file; returns the count
//!   fileSize(fd: number): number  fstat's size
//!   fileSync(fd: number): void    fsync on this thread
//!   fileSyncAsync(fd: number): Promise<void>
//!                                 fsync on libuv's thread pool; the promise settles on the
//!                                 JavaScript thread
//!                                 The file functions throw (or reject with) an Error whose code
//!                                 is the errno's name, like node:fs.
//!
//! Node-API functions used (declared by hand in napi.rs; the one crate, zstd-safe, is for zstd
//! only): napi_create_function, napi_create_buffer_copy,
//! napi_set_named_property, napi_get_cb_info, napi_get_buffer_info, napi_get_value_double,
//! napi_get_value_int32, napi_get_value_bigint_int64 (Node-API 6), napi_create_uint32,
//! napi_create_int32, napi_create_double, napi_get_boolean, napi_get_undefined,
//! napi_create_string_utf8, napi_create_error, napi_throw_error, napi_throw_type_error,
//! napi_throw_range_error, napi_create_promise, napi_resolve_deferred, napi_reject_deferred,
//! napi_create_async_work, napi_queue_async_work, napi_delete_async_work; and this module exports
//! napi_register_module_v1.
//!
//! Panic policy: panics unwind (Cargo.toml keeps `panic = "unwind"`) and never cross into Node.
//! Every entry point runs inside `napi::entry`, which catches a panic with catch_unwind and
//! throws a JavaScript Error with code SLUICE_NATIVE_PANIC instead; the panic message also goes to
//! stderr through Rust's default hook. A panic is a bug in the addon (the code checks every index
//! against the bytes present), so it is treated like any other broken invariant in the broker
//! (principle 4): the request that hit it fails loudly, the process lives on. Arguments of the
//! wrong type or out of range throw TypeError/RangeError with code SLUICE_NATIVE.
//!
//! An async job (fileSyncAsync) runs its body inside catch_unwind on the pool thread too; a panic
//! there rejects the promise with code SLUICE_NATIVE_PANIC.
//!
//! Threading: all functions but fileSyncAsync's fsync run on the JavaScript thread; that fsync
//! runs on a libuv pool thread and touches nothing but the descriptor number it was given. No
//! state is kept between calls besides read-only tables built at compile time and zstdDecompress.s
//! decompression context (one per thread, reset at each call: zstd.rs).

pub mod batch;
pub mod crc32c;
pub mod io;
pub mod zstd;

#[cfg(not(test))]
mod napi;

#[cfg(not(test))]
mod exports {
    use crate::napi::{self, disjoint, entry, napi_callback_info, napi_env, napi_value, Error};
    use crate::{batch, crc32c, io, zstd};

    /// Bump with any change to the JavaScript surface above; src/native/addon.ts checks it.
    pub const ABI_VERSION: u32 = 6;

    /// An index argument: an integer in 0..=len.
    fn index(v: f64, len: usize) -> Option<usize> {
        if v >= 0.0 && v.fract() == 0.0 && v <= len as f64 {
            Some(v as usize)
        } else {
            None
        }
    }

    unsafe extern "C" fn crc32c_js(env: napi_env, info: napi_callback_info) -> napi_value {
        entry::<3>(env, info, |env, [buf, start, end]| {
            let buf = env.buffer(buf)?;
            let (s, e) = (env.f64(start)?, env.f64(end)?);
            let range = match (index(s, buf.len()), index(e, buf.len())) {
                (Some(s), Some(e)) if s <= e => s..e,
                _ => return Err(Error::Range(format!("crc32c range [{s}, {e}) outside buffer of {} bytes", buf.len()))),
            };
            env.uint32(crc32c::crc32c(&buf[range]))
        })
    }

    unsafe extern "C" fn validate_batches_js(env: napi_env, info: napi_callback_info) -> napi_value {
        entry::<6>(env, info, |env, [buf, start, client, max_batch_bytes, segment_bytes, out]| {
            let buf = env.buffer(buf)?;
            let s = env.f64(start)?;
            let Some(start) = index(s, buf.len()) else {
                return Err(Error::Range(format!("validateBatches: start {s} outside buffer of {} bytes", buf.len())));
            };
            let opts = batch::Options {
                client: env.i32(client)? != 0,
                max_batch_bytes: env.f64(max_batch_bytes)?,
                segment_bytes: env.f64(segment_bytes)?,
            };
            let out = env.buffer_mut(out)?;
            if !disjoint(buf, out) {
                return Err(Error::Range("validateBatches: the output overlaps the input".into()));
            }
            env.int32(batch::validate_into(buf, start, &opts, out))
        })
    }

    unsafe extern "C" fn assign_offsets_js(env: napi_env, info: napi_callback_info) -> napi_value {
        entry::<4>(env, info, |env, [buf, position, base_offset, leader_epoch]| {
            let buf = env.buffer_mut(buf)?;
            let p = env.f64(position)?;
            let base_offset = env.bigint_i64(base_offset)?;
            let leader_epoch = env.i32(leader_epoch)?;
            match index(p, buf.len()).and_then(|p| batch::assign_offsets(buf, p, base_offset, leader_epoch)) {
                Some(()) => Ok(std::ptr::null_mut()),
                None => Err(Error::Range(format!("assignOffsets: no batch header at {p} in {} bytes", buf.len()))),
            }
        })
    }

    unsafe extern "C" fn zstd_decompress_js(env: napi_env, info: napi_callback_info) -> napi_value {
        entry::<2>(env, info, |env, [src, max_bytes]| {
            let src = env.buffer(src)?;
            let m = env.f64(max_bytes)?;
            let Some(max_bytes) = index(m, 1 << 53) else {
                return Err(Error::Range(format!("zstdDecompress: maxBytes must be a non-negative integer, got {m}")));
            };
            let out = zstd::decompress(src, max_bytes).map_err(|e| Error::Decode(e.to_string()))?;
            env.buffer_copy(&out)
        })
    }

    unsafe extern "C" fn zstd_compress_js(env: napi_env, info: napi_callback_info) -> napi_value {
        entry::<2>(env, info, |env, [src, level]| {
            let src = env.buffer(src)?;
            let l = env.f64(level)?;
            if l.fract() != 0.0 || l < zstd::LEVEL_MIN as f64 || l > zstd::LEVEL_MAX as f64 {
                return Err(Error::Range(format!("zstdCompress: level must be an integer in [{}, {}], got {l}", zstd::LEVEL_MIN, zstd::LEVEL_MAX)));
            }
            let out = zstd::compress(src, l as i32).map_err(|e| Error::Decode(e.to_string()))?;
            env.buffer_copy(&out)
        })
    }

    /// A file position or length: an integer in 0..=2^53.
    fn position(v: f64, what: &str) -> Result<u64, Error> {
        if v >= 0.0 && v.fract() == 0.0 && v <= 9_007_199_254_740_992.0 {
            Ok(v as u64)
        } else {
            Err(Error::Range(format!("{what} must be a non-negative integer, got {v}")))
        }
    }

    /// A file descriptor: an integer in 0..=i32::MAX.
    fn descriptor(env: napi::Env, v: napi_value) -> Result<i32, Error> {
        let d = env.f64(v)?;
        if d >= 0.0 && d.fract() == 0.0 && d <= i32::MAX as f64 {
            Ok(d as i32)
        } else {
            Err(Error::Range(format!("file descriptor must be a non-negative integer, got {d}")))
        }
    }

    fn io_error(what: &str, fd: i32, e: std::io::Error) -> Error {
        let code = io::errno_name(&e);
        Error::Io(code.clone(), format!("{code}: {what} on descriptor {fd}: {e}"))
    }

    unsafe extern "C" fn file_write_js(env: napi_env, info: napi_callback_info) -> napi_value {
        entry::<3>(env, info, |env, [fd, buf, pos]| {
            let fd = descriptor(env, fd)?;
            let buf = env.buffer(buf)?;
            let pos = position(env.f64(pos)?, "fileWrite position")?;
            io::write_all_at(fd, buf, pos).map_err(|e| io_error("write", fd, e))?;
            Ok(std::ptr::null_mut())
        })
    }

    unsafe extern "C" fn file_read_js(env: napi_env, info: napi_callback_info) -> napi_value {
        entry::<5>(env, info, |env, [fd, into, into_offset, length, pos]| {
            let fd = descriptor(env, fd)?;
            let into = env.buffer_mut(into)?;
            let (o, l) = (env.f64(into_offset)?, env.f64(length)?);
            let range = match (index(o, into.len()), index(l, into.len())) {
                (Some(o), Some(l)) if o + l <= into.len() => o..o + l,
                _ => return Err(Error::Range(format!("fileRead of {l} bytes at {o} into a buffer of {}", into.len()))),
            };
            let pos = position(env.f64(pos)?, "fileRead position")?;
            let n = io::read_at(fd, &mut into[range], pos).map_err(|e| io_error("read", fd, e))?;
            env.double(n as f64)
        })
    }

    unsafe extern "C" fn file_size_js(env: napi_env, info: napi_callback_info) -> napi_value {
        entry::<1>(env, info, |env, [fd]| {
            let fd = descriptor(env, fd)?;
            let n = io::size(fd).map_err(|e| io_error("fstat", fd, e))?;
            env.double(n as f64)
        })
    }

    unsafe extern "C" fn file_sync_js(env: napi_env, info: napi_callback_info) -> napi_value {
        entry::<1>(env, info, |env, [fd]| {
            let fd = descriptor(env, fd)?;
            io::sync(fd).map_err(|e| io_error("fsync", fd, e))?;
            Ok(std::ptr::null_mut())
        })
    }

    unsafe extern "C" fn file_sync_async_js(env: napi_env, info: napi_callback_info) -> napi_value {
        entry::<1>(env, info, |env, [fd]| {
            let fd = descriptor(env, fd)?;
            napi::promise_job(
                env,
                "sluice.fileSyncAsync",
                Box::new(move || {
                    io::sync(fd).map_err(|e| {
                        let code = io::errno_name(&e);
                        (code.clone(), format!("{code}: fsync on descriptor {fd}: {e}"))
                    })
                }),
            )
        })
    }

    fn register(env: napi_env, exports: napi_value) -> napi::Result<()> {
        let e = napi::registration_env(env);
        napi::export_value(env, exports, "abiVersion", e.uint32(ABI_VERSION)?)?;
        napi::export_value(env, exports, "crc32cHardware", e.boolean(crc32c::hardware())?)?;
        napi::export_function(env, exports, "crc32c", crc32c_js)?;
        napi::export_function(env, exports, "validateBatches", validate_batches_js)?;
        napi::export_function(env, exports, "assignOffsets", assign_offsets_js)?;
        napi::export_function(env, exports, "zstdDecompress", zstd_decompress_js)?;
        napi::export_function(env, exports, "zstdCompress", zstd_compress_js)?;
        napi::export_function(env, exports, "fileWrite", file_write_js)?;
        napi::export_function(env, exports, "fileRead", file_read_js)?;
        napi::export_function(env, exports, "fileSize", file_size_js)?;
        napi::export_function(env, exports, "fileSync", file_sync_js)?;
        napi::export_function(env, exports, "fileSyncAsync", file_sync_async_js)?;
        Ok(())
    }

    /// Called by Node when the addon is loaded (Node-API's module registration symbol).
    #[no_mangle]
    pub unsafe extern "C" fn napi_register_module_v1(env: napi_env, exports: napi_value) -> napi_value {
        match std::panic::catch_unwind(|| register(env, exports)) {
            Ok(Ok(())) => exports,
            Ok(Err(e)) => {
                napi::throw_at_registration(env, e);
                std::ptr::null_mut()
            }
            Err(_) => {
                napi::throw_at_registration(env, Error::Panic("sluice native: panic during registration".into()));
                std::ptr::null_mut()
            }
        }
    }
}
