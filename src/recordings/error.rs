//! The importer's one error type: every failure is either **permanent** (the tarball can never
//! import: corrupt, hostile, no metadata.xml, unknown layout — the importer moves it to
//! `failed/`) or **transient** (the machine, not the tarball, is at fault: disk full, read-only
//! target, permission denied — the tarball stays in the spool and is retried).

use std::io;

/// Why a tarball (or one of its formats) did not import; the variant decides the tarball's fate.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ImportError {
    /// The input is at fault; retrying cannot help.
    #[error("cannot import: {0}")]
    Permanent(String),
    /// The environment is at fault; retry later, the input is kept.
    #[error("cannot import now (will retry): {context}: {source}")]
    Transient {
        context: String,
        #[source]
        source: io::Error,
    },
}

impl ImportError {
    pub(crate) fn permanent(why: impl Into<String>) -> Self {
        ImportError::Permanent(why.into())
    }

    pub(crate) fn is_transient(&self) -> bool {
        matches!(self, ImportError::Transient { .. })
    }

    /// An error from writing, creating, renaming or removing a file of ours. Conditions of the
    /// machine (space, quota, read-only, permissions, I/O, exhausted descriptors or memory) are
    /// transient; the rest (a name too long, a file where a directory should be) come from what
    /// the tarball asked for, so retrying would loop forever (Scalelite #625): permanent.
    pub(crate) fn from_write(context: impl Into<String>, source: io::Error) -> Self {
        let context = context.into();
        if is_machine_condition(&source) {
            ImportError::Transient { context, source }
        } else {
            ImportError::Permanent(format!("{context}: {source}"))
        }
    }

    /// An error from reading the tarball. An OS-level error (an I/O error of the spool's disk)
    /// is transient; a format error (truncated, bad header, bad gzip) is the tarball's: permanent.
    pub(crate) fn from_read(context: impl Into<String>, source: io::Error) -> Self {
        let context = context.into();
        if source.raw_os_error().is_some() {
            ImportError::Transient { context, source }
        } else {
            ImportError::Permanent(format!("{context}: {source}"))
        }
    }
}

/// Whether an I/O error is a condition of the machine rather than of the data written.
pub(crate) fn is_machine_condition(err: &io::Error) -> bool {
    use io::ErrorKind as K;
    if matches!(
        err.kind(),
        K::StorageFull
            | K::QuotaExceeded
            | K::ReadOnlyFilesystem
            | K::PermissionDenied
            | K::OutOfMemory
            | K::Interrupted
            | K::WouldBlock
            | K::ResourceBusy
            | K::TimedOut
    ) {
        return true;
    }
    matches!(
        err.raw_os_error(),
        Some(libc::EIO | libc::EMFILE | libc::ENFILE | libc::ENOSPC | libc::EDQUOT | libc::EROFS)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_conditions_are_transient_and_data_errors_permanent() {
        for errno in [
            libc::ENOSPC,
            libc::EROFS,
            libc::EACCES,
            libc::EPERM,
            libc::EDQUOT,
            libc::EIO,
        ] {
            let e = ImportError::from_write("write", io::Error::from_raw_os_error(errno));
            assert!(e.is_transient(), "errno {errno}");
        }
        for errno in [libc::ENAMETOOLONG, libc::ENOTDIR, libc::EEXIST] {
            let e = ImportError::from_write("write", io::Error::from_raw_os_error(errno));
            assert!(!e.is_transient(), "errno {errno}");
        }
        let corrupt = io::Error::new(io::ErrorKind::UnexpectedEof, "short");
        assert!(!ImportError::from_read("read", corrupt).is_transient());
        let disk = io::Error::from_raw_os_error(libc::EIO);
        assert!(ImportError::from_read("read", disk).is_transient());
    }
}
