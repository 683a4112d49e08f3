//! The Node-API subset this addon uses, declared by hand (no crates: see Cargo.toml), and safe
//! wrappers around it. Only this module and the entry points in lib.rs contain `unsafe`.
//!
//! Signatures from Node's js_native_api.h / node_api.h (Node-API version 1 unless noted). The
//! symbols are resolved from the node executable when the addon is loaded.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_void, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

pub type napi_env = *mut c_void;
pub type napi_value = *mut c_void;
pub type napi_callback_info = *mut c_void;
pub type napi_status = i32;
pub type napi_callback = unsafe extern "C" fn(napi_env, napi_callback_info) -> napi_value;
pub type napi_async_work = *mut c_void;
pub type napi_deferred = *mut c_void;
type napi_async_execute_callback = unsafe extern "C" fn(napi_env, *mut c_void);
type napi_async_complete_callback = unsafe extern "C" fn(napi_env, napi_status, *mut c_void);

const NAPI_OK: napi_status = 0;
/// `napi_cancelled`: the async work was cancelled before it ran.
const NAPI_CANCELLED: napi_status = 11;
/// `NAPI_AUTO_LENGTH`: the name is NUL-terminated.
const AUTO_LENGTH: usize = usize::MAX;

extern "C" {
    fn napi_create_function(
        env: napi_env,
        utf8name: *const c_char,
        length: usize,
        cb: napi_callback,
        data: *mut c_void,
        result: *mut napi_value,
    ) -> napi_status;
    fn napi_set_named_property(env: napi_env, object: napi_value, utf8name: *const c_char, value: napi_value) -> napi_status;
    fn napi_get_cb_info(
        env: napi_env,
        cbinfo: napi_callback_info,
        argc: *mut usize,
        argv: *mut napi_value,
        this_arg: *mut napi_value,
        data: *mut *mut c_void,
    ) -> napi_status;
    fn napi_get_buffer_info(env: napi_env, value: napi_value, data: *mut *mut c_void, length: *mut usize) -> napi_status;
    fn napi_get_value_double(env: napi_env, value: napi_value, result: *mut f64) -> napi_status;
    fn napi_get_value_int32(env: napi_env, value: napi_value, result: *mut i32) -> napi_status;
    /// Node-API 6.
    fn napi_get_value_bigint_int64(env: napi_env, value: napi_value, result: *mut i64, lossless: *mut bool) -> napi_status;
    fn napi_create_uint32(env: napi_env, value: u32, result: *mut napi_value) -> napi_status;
    fn napi_create_int32(env: napi_env, value: i32, result: *mut napi_value) -> napi_status;
    fn napi_get_boolean(env: napi_env, value: bool, result: *mut napi_value) -> napi_status;
    fn napi_throw_error(env: napi_env, code: *const c_char, msg: *const c_char) -> napi_status;
    fn napi_throw_type_error(env: napi_env, code: *const c_char, msg: *const c_char) -> napi_status;
    fn napi_throw_range_error(env: napi_env, code: *const c_char, msg: *const c_char) -> napi_status;
    fn napi_create_buffer_copy(
        env: napi_env,
        length: usize,
        data: *const c_void,
        result_data: *mut *mut c_void,
        result: *mut napi_value,
    ) -> napi_status;
    fn napi_create_double(env: napi_env, value: f64, result: *mut napi_value) -> napi_status;
    fn napi_create_string_utf8(env: napi_env, str: *const c_char, length: usize, result: *mut napi_value) -> napi_status;
    fn napi_create_error(env: napi_env, code: napi_value, msg: napi_value, result: *mut napi_value) -> napi_status;
    fn napi_get_undefined(env: napi_env, result: *mut napi_value) -> napi_status;
    fn napi_create_promise(env: napi_env, deferred: *mut napi_deferred, promise: *mut napi_value) -> napi_status;
    fn napi_resolve_deferred(env: napi_env, deferred: napi_deferred, resolution: napi_value) -> napi_status;
    fn napi_reject_deferred(env: napi_env, deferred: napi_deferred, rejection: napi_value) -> napi_status;
    fn napi_create_async_work(
        env: napi_env,
        async_resource: napi_value,
        async_resource_name: napi_value,
        execute: napi_async_execute_callback,
        complete: napi_async_complete_callback,
        data: *mut c_void,
        result: *mut napi_async_work,
    ) -> napi_status;
    fn napi_queue_async_work(env: napi_env, work: napi_async_work) -> napi_status;
    fn napi_delete_async_work(env: napi_env, work: napi_async_work) -> napi_status;
}

/// What an entry point can fail with; becomes a thrown JavaScript error.
pub enum Error {
    /// A Node-API call failed (for example an argument of the wrong type).
    Status(&'static str, napi_status),
    Type(String),
    Range(String),
    /// A panic caught at the entry point.
    Panic(String),
    /// Input that cannot be decoded (code SLUICE_DECODE; src/native maps it to DecodeError).
    Decode(String),
    /// A failed system call: the errno's name (becomes `error.code`, as with node:fs) and a message.
    Io(String, String),
}

pub type Result<T> = std::result::Result<T, Error>;

fn check(what: &'static str, status: napi_status) -> Result<()> {
    if status == NAPI_OK {
        Ok(())
    } else {
        Err(Error::Status(what, status))
    }
}

fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

/// The environment of one call from JavaScript; valid only during that call.
#[derive(Clone, Copy)]
pub struct Env(napi_env);

impl Env {
    fn throw(self, e: Error) {
        let (kind, code, message) = match e {
            Error::Status(what, status) => (0, "SLUICE_NATIVE".to_string(), format!("sluice native: {what} failed (napi_status {status})")),
            Error::Type(m) => (1, "SLUICE_NATIVE".to_string(), m),
            Error::Range(m) => (2, "SLUICE_NATIVE".to_string(), m),
            Error::Panic(m) => (0, "SLUICE_NATIVE_PANIC".to_string(), m),
            Error::Decode(m) => (0, "SLUICE_DECODE".to_string(), m),
            Error::Io(code, m) => (0, code, m),
        };
        let code = c_string(&code);
        let msg = c_string(&message);
        // SAFETY: env is the live environment of this call; both strings are NUL-terminated and
        // outlive the call. If an exception is already pending the throw fails, and that one wins.
        unsafe {
            match kind {
                1 => napi_throw_type_error(self.0, code.as_ptr(), msg.as_ptr()),
                2 => napi_throw_range_error(self.0, code.as_ptr(), msg.as_ptr()),
                _ => napi_throw_error(self.0, code.as_ptr(), msg.as_ptr()),
            };
        }
    }

    pub fn uint32(self, v: u32) -> Result<napi_value> {
        let mut out = ptr::null_mut();
        // SAFETY: env is live; out is a valid pointer.
        check("napi_create_uint32", unsafe { napi_create_uint32(self.0, v, &mut out) })?;
        Ok(out)
    }

    pub fn int32(self, v: i32) -> Result<napi_value> {
        let mut out = ptr::null_mut();
        // SAFETY: env is live; out is a valid pointer.
        check("napi_create_int32", unsafe { napi_create_int32(self.0, v, &mut out) })?;
        Ok(out)
    }

    pub fn boolean(self, v: bool) -> Result<napi_value> {
        let mut out = ptr::null_mut();
        // SAFETY: env is live; out is a valid pointer.
        check("napi_get_boolean", unsafe { napi_get_boolean(self.0, v, &mut out) })?;
        Ok(out)
    }

    pub fn double(self, v: f64) -> Result<napi_value> {
        let mut out = ptr::null_mut();
        // SAFETY: env is live; out is a valid pointer.
        check("napi_create_double", unsafe { napi_create_double(self.0, v, &mut out) })?;
        Ok(out)
    }

    /// A new Buffer holding a copy of `bytes`.
    pub fn buffer_copy(self, bytes: &[u8]) -> Result<napi_value> {
        let mut out = ptr::null_mut();
        let mut data = ptr::null_mut();
        // SAFETY: env is live; bytes points at bytes.len() readable bytes, which Node copies
        // before returning; both out-pointers are valid.
        check("napi_create_buffer_copy", unsafe {
            napi_create_buffer_copy(self.0, bytes.len(), bytes.as_ptr() as *const c_void, &mut data, &mut out)
        })?;
        Ok(out)
    }

    fn string(self, s: &str) -> Result<napi_value> {
        let mut out = ptr::null_mut();
        // SAFETY: env is live; s points at s.len() bytes of UTF-8 for the duration of the call.
        check("napi_create_string_utf8", unsafe { napi_create_string_utf8(self.0, s.as_ptr() as *const c_char, s.len(), &mut out) })?;
        Ok(out)
    }

    fn undefined(self) -> Result<napi_value> {
        let mut out = ptr::null_mut();
        // SAFETY: env is live; out is a valid pointer.
        check("napi_get_undefined", unsafe { napi_get_undefined(self.0, &mut out) })?;
        Ok(out)
    }

    /// A new Error object with `code` and `message`.
    fn error(self, code: &str, message: &str) -> Result<napi_value> {
        let (c, m) = (self.string(code)?, self.string(message)?);
        let mut out = ptr::null_mut();
        // SAFETY: env, c and m are live; out is a valid pointer.
        check("napi_create_error", unsafe { napi_create_error(self.0, c, m, &mut out) })?;
        Ok(out)
    }

    pub fn f64(self, v: napi_value) -> Result<f64> {
        let mut out = 0f64;
        // SAFETY: env and v are live; out is a valid pointer.
        check("napi_get_value_double", unsafe { napi_get_value_double(self.0, v, &mut out) })?;
        Ok(out)
    }

    pub fn i32(self, v: napi_value) -> Result<i32> {
        let mut out = 0i32;
        // SAFETY: env and v are live; out is a valid pointer.
        check("napi_get_value_int32", unsafe { napi_get_value_int32(self.0, v, &mut out) })?;
        Ok(out)
    }

    /// A bigint that fits in an int64.
    pub fn bigint_i64(self, v: napi_value) -> Result<i64> {
        let mut out = 0i64;
        let mut lossless = false;
        // SAFETY: env and v are live; both out-pointers are valid.
        check("napi_get_value_bigint_int64", unsafe { napi_get_value_bigint_int64(self.0, v, &mut out, &mut lossless) })?;
        if !lossless {
            return Err(Error::Range("bigint does not fit in an int64".into()));
        }
        Ok(out)
    }

    /// The bytes of a Buffer argument. The slice borrows the JavaScript object, which the caller
    /// keeps alive for the duration of the call; the garbage collector does not move Buffer
    /// contents.
    pub fn buffer<'a>(self, v: napi_value) -> Result<&'a [u8]> {
        let (data, len) = self.buffer_raw(v)?;
        // SAFETY: Node guarantees `len` readable bytes at `data` while the value is alive.
        Ok(if len == 0 { &[] } else { unsafe { std::slice::from_raw_parts(data as *const u8, len) } })
    }

    /// Like `buffer`, writable. The caller must not hold another slice of the same memory (see
    /// `disjoint`).
    pub fn buffer_mut<'a>(self, v: napi_value) -> Result<&'a mut [u8]> {
        let (data, len) = self.buffer_raw(v)?;
        // SAFETY: as in `buffer`; exclusivity is the caller's duty, checked by `disjoint`.
        Ok(if len == 0 { &mut [] } else { unsafe { std::slice::from_raw_parts_mut(data as *mut u8, len) } })
    }

    fn buffer_raw(self, v: napi_value) -> Result<(*mut c_void, usize)> {
        let mut data = ptr::null_mut();
        let mut len = 0usize;
        // SAFETY: env and v are live; both out-pointers are valid. Fails unless v is a Buffer
        // (any Uint8Array in current Node versions).
        check("napi_get_buffer_info (argument must be a Buffer)", unsafe { napi_get_buffer_info(self.0, v, &mut data, &mut len) })?;
        Ok((data, len))
    }
}

/// True when two byte ranges do not overlap (a Buffer read while another is written).
pub fn disjoint(a: &[u8], b: &[u8]) -> bool {
    let (a0, a1) = (a.as_ptr() as usize, a.as_ptr() as usize + a.len());
    let (b0, b1) = (b.as_ptr() as usize, b.as_ptr() as usize + b.len());
    a1 <= b0 || b1 <= a0
}

/// Runs the body of an entry point: fetches up to N arguments (missing ones fail), converts an
/// `Err` into a thrown error, and a panic into a thrown error with code SLUICE_NATIVE (the panic
/// message has already gone to stderr through the default hook). Never unwinds into Node.
pub fn entry<const N: usize>(
    env: napi_env,
    info: napi_callback_info,
    body: impl FnOnce(Env, [napi_value; N]) -> Result<napi_value>,
) -> napi_value {
    let env = Env(env);
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut argc = N;
        let mut argv = [ptr::null_mut(); N];
        // SAFETY: env and info are those of this call; argv has room for argc values.
        check("napi_get_cb_info", unsafe {
            napi_get_cb_info(env.0, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), ptr::null_mut())
        })?;
        if argc < N {
            return Err(Error::Type(format!("expected {N} arguments, got {argc}")));
        }
        body(env, argv)
    }));
    match result {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            env.throw(e);
            ptr::null_mut()
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            env.throw(Error::Panic(format!("sluice native: panic (a bug in the addon): {what}")));
            ptr::null_mut()
        }
    }
}

/// Defines `exports[name] = function` during module registration.
pub fn export_function(env: napi_env, exports: napi_value, name: &str, cb: napi_callback) -> Result<()> {
    let cname = c_string(name);
    let mut f = ptr::null_mut();
    // SAFETY: env and exports are those of the registration call; cname is NUL-terminated.
    unsafe {
        check("napi_create_function", napi_create_function(env, cname.as_ptr(), AUTO_LENGTH, cb, ptr::null_mut(), &mut f))?;
        check("napi_set_named_property", napi_set_named_property(env, exports, cname.as_ptr(), f))
    }
}

/// Defines `exports[name] = value` during module registration.
pub fn export_value(env: napi_env, exports: napi_value, name: &str, value: napi_value) -> Result<()> {
    let cname = c_string(name);
    // SAFETY: env and exports are those of the registration call; cname is NUL-terminated.
    check("napi_set_named_property", unsafe { napi_set_named_property(env, exports, cname.as_ptr(), value) })
}

/// The environment of the registration call, for building exported values.
pub fn registration_env(env: napi_env) -> Env {
    Env(env)
}

/// Throws `e` during registration.
pub fn throw_at_registration(env: napi_env, e: Error) {
    Env(env).throw(e);
}

// -- async work -------------------------------------------------------------------------------

/// What a job on the thread pool ends with: Ok, or the (code, message) of the Error its promise
/// is rejected with.
pub type JobResult = std::result::Result<(), (String, String)>;

struct Job {
    /// Taken by `execute` on a pool thread; touches no JavaScript value.
    work: Option<Box<dyn FnOnce() -> JobResult + Send>>,
    result: Option<JobResult>,
    deferred: napi_deferred,
    handle: napi_async_work,
}

unsafe extern "C" fn job_execute(_env: napi_env, data: *mut c_void) {
    // SAFETY: data is the Job leaked in `promise_job`; only this callback touches it until
    // `job_complete`, which libuv runs after this returns.
    let job = unsafe { &mut *(data as *mut Job) };
    let work = job.work.take();
    job.result = Some(match work {
        None => Err(("SLUICE_NATIVE".into(), "sluice native: job ran twice".into())),
        Some(f) => catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
            Err(("SLUICE_NATIVE_PANIC".into(), "sluice native: panic in async work (a bug in the addon)".into()))
        }),
    });
}

unsafe extern "C" fn job_complete(env: napi_env, status: napi_status, data: *mut c_void) {
    // SAFETY: data is the Job leaked in `promise_job`; this is the last callback for it, so the
    // Box takes it back and frees it at the end.
    let job = unsafe { Box::from_raw(data as *mut Job) };
    let env = Env(env);
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let outcome = if status == NAPI_CANCELLED {
            Err(("ECANCELED".to_string(), "sluice native: async work cancelled".to_string()))
        } else {
            job.result.clone().unwrap_or_else(|| Err(("SLUICE_NATIVE".into(), "sluice native: job did not run".into())))
        };
        // SAFETY: the deferred is settled exactly once, here; env is this callback's live env.
        unsafe {
            match outcome {
                Ok(()) => {
                    if let Ok(v) = env.undefined() {
                        napi_resolve_deferred(env.0, job.deferred, v);
                    }
                }
                Err((code, message)) => {
                    if let Ok(e) = env.error(&code, &message) {
                        napi_reject_deferred(env.0, job.deferred, e);
                    }
                }
            }
            napi_delete_async_work(env.0, job.handle);
        }
    }));
}

/// Runs `work` on libuv's thread pool and returns a promise that settles with its outcome on the
/// JavaScript thread: undefined, or an Error with the code and message the work returned. A panic
/// inside `work` rejects the promise with code SLUICE_NATIVE_PANIC.
pub fn promise_job(env: Env, name: &str, work: Box<dyn FnOnce() -> JobResult + Send>) -> Result<napi_value> {
    let mut deferred = ptr::null_mut();
    let mut promise = ptr::null_mut();
    // SAFETY: env is live; both out-pointers are valid.
    check("napi_create_promise", unsafe { napi_create_promise(env.0, &mut deferred, &mut promise) })?;
    let resource_name = env.string(name)?;
    let job = Box::into_raw(Box::new(Job { work: Some(work), result: None, deferred, handle: ptr::null_mut() }));
    let mut handle = ptr::null_mut();
    // SAFETY: env and resource_name are live; the callbacks match Node-API's signatures; job
    // stays valid until job_complete frees it.
    let created = check("napi_create_async_work", unsafe {
        napi_create_async_work(env.0, ptr::null_mut(), resource_name, job_execute, job_complete, job as *mut c_void, &mut handle)
    });
    let queued = created.and_then(|()| {
        // SAFETY: job is ours until queued; handle was just created.
        unsafe { (*job).handle = handle };
        check("napi_queue_async_work", unsafe { napi_queue_async_work(env.0, handle) })
    });
    if let Err(e) = queued {
        // Never queued: free the job (and the work handle) and settle the promise here.
        // SAFETY: job came from Box::into_raw above and no callback will see it.
        let job = unsafe { Box::from_raw(job) };
        unsafe {
            if !job.handle.is_null() {
                napi_delete_async_work(env.0, job.handle);
            }
            let message = match &e {
                Error::Status(what, status) => format!("sluice native: {what} failed (napi_status {status})"),
                _ => "sluice native: could not queue async work".into(),
            };
            if let Ok(err) = env.error("SLUICE_NATIVE", &message) {
                napi_reject_deferred(env.0, job.deferred, err);
            }
        }
    }
    Ok(promise)
}
