//! Test certificates, made with openssl in a test's own directory: self-signed server
//! certificates, private CAs, and server certificates a CA signed.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Run openssl in `dir`, failing the test with its output.
pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl (install the openssl package)");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A self-signed RSA certificate `<name>.pem` / `<name>.key` for `cn`, with `san` (e.g.
/// `DNS:localhost,IP:127.0.0.1`): (certificate, key).
pub fn self_signed(dir: &Path, name: &str, cn: &str, san: &str) -> (PathBuf, PathBuf) {
    let (pem, key) = (format!("{name}.pem"), format!("{name}.key"));
    let (subj, ext) = (format!("/CN={cn}"), format!("subjectAltName={san}"));
    openssl(
        dir,
        &[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", &subj,
            "-addext", &ext, "-keyout", &key, "-out", &pem,
        ],
    );
    (dir.join(pem), dir.join(key))
}

/// A private CA `<name>.pem` / `<name>.key`; returns the CA certificate.
pub fn ca(dir: &Path, name: &str) -> PathBuf {
    let (pem, key, subj) = (
        format!("{name}.pem"),
        format!("{name}.key"),
        format!("/CN=Test CA {name}"),
    );
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            &subj,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout",
            &key,
            "-out",
            &pem,
        ],
    );
    dir.join(pem)
}

/// A certificate `<name>.pem` / `<name>.key` for `cn` with `san`, signed by the CA
/// `<ca_name>` made by [`ca`] in the same directory: (certificate, key).
pub fn signed(dir: &Path, ca_name: &str, name: &str, cn: &str, san: &str) -> (PathBuf, PathBuf) {
    let (pem, key, csr, ext) = (
        format!("{name}.pem"),
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.ext"),
    );
    let subj = format!("/CN={cn}");
    openssl(
        dir,
        &[
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", &subj, "-keyout", &key, "-out", &csr,
        ],
    );
    std::fs::write(
        dir.join(&ext),
        format!("subjectAltName={san}\nbasicConstraints=CA:FALSE\n"),
    )
    .expect("extensions file");
    let (ca_pem, ca_key) = (format!("{ca_name}.pem"), format!("{ca_name}.key"));
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca_pem,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            &ext,
            "-out",
            &pem,
        ],
    );
    (dir.join(pem), dir.join(key))
}
