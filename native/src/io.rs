//! Segment file I/O on raw file descriptors opened by Node (`fs.openSync`): positional writes and
//! reads, size, and fsync, both on the calling thread and (fsync) as async work on libuv's thread
//! pool. The Rust side of NativeFileIO in src/log/file-io.ts, whose NodeFileIO is the twin.
//!
//! Why these: a write or read of page-cache data costs about a memcpy either way, but Node's
//! `fs.writeSync`/`fs.readSync`/`fs.fstatSync` add argument checks and (for fstat) a Stats object
//! on every call; an fsync can block for as long as the disk needs to take the dirty pages, which
//! is the one call here that must leave the JavaScript thread.
//!
//! The descriptor stays owned by JavaScript: these functions borrow it for one call and never
//! close it. The caller must not close a descriptor while an async fsync of it is pending (the
//! number could be reused by another open); src/log/segment.ts defers the close.
//!
//! Errors carry the errno's name (EIO, ENOSPC, EBADF, ...) so the TypeScript side sees the same
//! `code` as from node:fs. EINTR is retried.

use std::fs::File;
use std::io;
use std::mem::ManuallyDrop;
use std::os::unix::fs::FileExt;
use std::os::unix::io::FromRawFd;

/// A borrowed descriptor: a File that is never dropped, so the descriptor is never closed here.
fn borrow(fd: i32) -> io::Result<ManuallyDrop<File>> {
    if fd < 0 {
        return Err(io::Error::from_raw_os_error(EBADF));
    }
    // SAFETY: File is only a wrapper around the number; ManuallyDrop keeps it from closing the
    // descriptor, which stays owned by the JavaScript side. A closed or invalid number makes the
    // syscalls below fail with EBADF, nothing worse.
    Ok(ManuallyDrop::new(unsafe { File::from_raw_fd(fd) }))
}

/// Writes all of `data` at `position` (pwrite, repeated after short writes and EINTR).
pub fn write_all_at(fd: i32, data: &[u8], position: u64) -> io::Result<()> {
    borrow(fd)?.write_all_at(data, position)
}

/// Reads into `into` from `position` until it is full or the file ends; returns the count.
pub fn read_at(fd: i32, into: &mut [u8], position: u64) -> io::Result<usize> {
    let f = borrow(fd)?;
    let mut done = 0usize;
    while done < into.len() {
        match f.read_at(&mut into[done..], position + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Length of the file in bytes (fstat).
pub fn size(fd: i32) -> io::Result<u64> {
    Ok(borrow(fd)?.metadata()?.len())
}

/// fsync: file data and metadata reach the disk (what Kafka's FileChannel.force(true) asks for).
pub fn sync(fd: i32) -> io::Result<()> {
    loop {
        match borrow(fd)?.sync_all() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

const EBADF: i32 = 9;

/// The errno's symbolic name, as node:fs reports it in `error.code`. The numbers are Linux's;
/// elsewhere (and for errnos not listed) the code is `E<number>`, still a system error to the
/// caller.
pub fn errno_name(e: &io::Error) -> String {
    let Some(n) = e.raw_os_error() else { return "EIO".into() };
    let name = if cfg!(target_os = "linux") {
        match n {
            1 => "EPERM",
            2 => "ENOENT",
            5 => "EIO",
            9 => "EBADF",
            11 => "EAGAIN",
            12 => "ENOMEM",
            13 => "EACCES",
            14 => "EFAULT",
            16 => "EBUSY",
            17 => "EEXIST",
            21 => "EISDIR",
            22 => "EINVAL",
            23 => "ENFILE",
            24 => "EMFILE",
            27 => "EFBIG",
            28 => "ENOSPC",
            29 => "ESPIPE",
            30 => "EROFS",
            122 => "EDQUOT",
            _ => "",
        }
    } else {
        ""
    };
    if name.is_empty() {
        format!("E{n}")
    } else {
        name.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::io::AsRawFd;

    fn temp_file(name: &str) -> (std::path::PathBuf, File) {
        let path = std::env::temp_dir().join(format!("sluice-io-test-{}-{name}", std::process::id()));
        let f = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path).unwrap();
        (path, f)
    }

    #[test]
    fn write_read_size_sync_round_trip() {
        let (path, f) = temp_file("rt");
        let fd = f.as_raw_fd();
        write_all_at(fd, b"hello", 0).unwrap();
        write_all_at(fd, b"world", 10).unwrap(); // leaves a hole of zeros
        assert_eq!(size(fd).unwrap(), 15);
        let mut buf = [0xffu8; 20];
        assert_eq!(read_at(fd, &mut buf, 0).unwrap(), 15, "short only at the end of the file");
        assert_eq!(&buf[..15], b"hello\0\0\0\0\0world");
        assert_eq!(read_at(fd, &mut buf, 100).unwrap(), 0);
        sync(fd).unwrap();
        drop(f);
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn errors_name_the_errno() {
        let e = write_all_at(-1, b"x", 0).unwrap_err();
        assert_eq!(errno_name(&e), "EBADF");
        // A number far above any open descriptor (a closed one could be reused by a test running
        // in parallel): the syscalls themselves answer EBADF.
        let mut buf = [0u8; 4];
        assert_eq!(errno_name(&read_at(1 << 20, &mut buf, 0).unwrap_err()), "EBADF");
        assert_eq!(errno_name(&sync(1 << 20).unwrap_err()), "EBADF");
        assert_eq!(errno_name(&size(1 << 20).unwrap_err()), "EBADF");
        assert_eq!(errno_name(&io::Error::from_raw_os_error(28)), if cfg!(target_os = "linux") { "ENOSPC" } else { "E28" });
        assert_eq!(errno_name(&io::Error::from_raw_os_error(4000)), "E4000");
    }
}
