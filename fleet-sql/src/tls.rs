//! TLS to the database: the modes of `database.tls`, the CA file of
//! `verify_identity`, and how both become mysql_async's `SslOpts`.
//!
//! The MySQL protocol has no integrity check of its own: a byte flipped on
//! the way from the server reaches the reader as data. Over TLS every record
//! is authenticated, so the same flip breaks the connection instead (an
//! error, never a wrong value).

use mysql_async::{Opts, OptsBuilder, SslOpts};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// What the connection to the database must be, after MySQL's `--ssl-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// No TLS.
    Disabled,
    /// TLS when the server offers it, without checking its certificate;
    /// plain when the server has no TLS at all (decided on the first
    /// connection, and again when a TLS connection is refused for lack of
    /// it, e.g. after a failover). A server that offers TLS but fails the
    /// handshake is an error, not a reason to go plain.
    #[default]
    Preferred,
    /// TLS or no connection; the certificate is not checked (encryption and
    /// integrity against a passive or clumsy network, not against an
    /// impostor).
    Required,
    /// TLS or no connection; the certificate chain must lead to the CA file
    /// (or, without one, to the Mozilla roots built into fleetd) and name
    /// the host of the URL.
    VerifyIdentity,
}

impl TlsMode {
    pub const ALL: [TlsMode; 4] = [
        TlsMode::Disabled,
        TlsMode::Preferred,
        TlsMode::Required,
        TlsMode::VerifyIdentity,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::Disabled => "disabled",
            TlsMode::Preferred => "preferred",
            TlsMode::Required => "required",
            TlsMode::VerifyIdentity => "verify_identity",
        }
    }

    /// Whether a connection without TLS is refused.
    pub fn requires_tls(self) -> bool {
        matches!(self, TlsMode::Required | TlsMode::VerifyIdentity)
    }
}

impl fmt::Display for TlsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TlsMode {
    type Err = String;

    fn from_str(s: &str) -> Result<TlsMode, String> {
        TlsMode::ALL
            .into_iter()
            .find(|mode| mode.as_str() == s.trim())
            .ok_or_else(|| {
                format!("{s:?} is not one of disabled, preferred, required, verify_identity")
            })
    }
}

/// The CA certificates `verify_identity` trusts, read from a file and
/// checked when the settings are made (a missing or broken file is a
/// startup error, not a failure at the first connection).
#[derive(Clone, PartialEq, Eq)]
pub struct CaFile {
    path: PathBuf,
    /// The file as read: PEM (one or more certificates) or one DER
    /// certificate, as mysql_async accepts.
    contents: Vec<u8>,
    certificates: usize,
}

/// Why a CA file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CaFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} holds no certificate (neither PEM `BEGIN CERTIFICATE` blocks nor DER)")]
    NoCertificate { path: PathBuf },
    #[error("{path}: certificate {index} is not usable as a CA: {reason}")]
    Invalid {
        path: PathBuf,
        index: usize,
        reason: String,
    },
}

impl CaFile {
    /// Reads and checks `path` the way mysql_async will use it: every PEM
    /// certificate in it, or the whole file as one DER certificate when it
    /// has no PEM block; each must parse as a trust anchor.
    pub fn read(path: &Path) -> Result<CaFile, CaFileError> {
        let contents = std::fs::read(path).map_err(|source| CaFileError::Read {
            path: path.to_owned(),
            source,
        })?;
        let certificates = check_certificates(&contents).map_err(|fault| match fault {
            CertFault::None => CaFileError::NoCertificate {
                path: path.to_owned(),
            },
            CertFault::Invalid { index, reason } => CaFileError::Invalid {
                path: path.to_owned(),
                index,
                reason,
            },
        })?;
        Ok(CaFile {
            path: path.to_owned(),
            contents,
            certificates,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many certificates the file holds.
    pub fn certificates(&self) -> usize {
        self.certificates
    }
}

impl fmt::Debug for CaFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaFile")
            .field("path", &self.path)
            .field("certificates", &self.certificates)
            .finish()
    }
}

enum CertFault {
    None,
    Invalid { index: usize, reason: String },
}

fn check_certificates(contents: &[u8]) -> Result<usize, CertFault> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let mut certificates = Vec::new();
    for (index, item) in CertificateDer::pem_slice_iter(contents).enumerate() {
        match item {
            Ok(cert) => certificates.push(cert),
            Err(e) => {
                return Err(CertFault::Invalid {
                    index: index + 1,
                    reason: format!("bad PEM: {e}"),
                })
            }
        }
    }
    // mysql_async reads a file without PEM blocks as one DER certificate.
    if certificates.is_empty() {
        if contents.iter().all(u8::is_ascii_whitespace) {
            return Err(CertFault::None);
        }
        certificates.push(CertificateDer::from(contents.to_vec()));
    }
    let mut store = rustls::RootCertStore::empty();
    for (index, cert) in certificates.into_iter().enumerate() {
        store.add(cert).map_err(|e| CertFault::Invalid {
            index: index + 1,
            reason: e.to_string(),
        })?;
    }
    Ok(store.len())
}

/// A setting that contradicts another, named by its field in
/// [`crate::DbSettings`] (`tls`, `ca_file` or `url`, which are also
/// fleetd's keys under `[database]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct TlsConflict {
    pub field: &'static str,
    pub reason: String,
}

/// The URL query parameters by which mysql_async would switch TLS on or
/// change its checks: `database.tls` is the one place that decides.
const URL_TLS_PARAMETERS: [&str; 4] = [
    "require_ssl",
    "verify_ca",
    "verify_identity",
    "built_in_roots",
];

/// Checks that the URL, the mode and the presence of a CA file agree.
pub fn check_tls(url: &str, mode: TlsMode, has_ca_file: bool) -> Result<(), TlsConflict> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split('#').next().unwrap_or_default();
    if let Some(parameter) = query
        .split('&')
        .filter_map(|pair| pair.split('=').next())
        .find(|name| URL_TLS_PARAMETERS.contains(name))
    {
        return Err(TlsConflict {
            field: "url",
            reason: format!(
                "the URL parameter `{parameter}` is not accepted: TLS is set by the `tls` and \
                 `ca_file` settings alone"
            ),
        });
    }
    if has_ca_file && mode != TlsMode::VerifyIdentity {
        return Err(TlsConflict {
            field: "ca_file",
            reason: format!(
                "is used only with tls = \"verify_identity\"; tls = \"{mode}\" {}",
                match mode {
                    TlsMode::Disabled => "does not use TLS",
                    _ => "does not check the server's certificate",
                }
            ),
        });
    }
    if mode.requires_tls() && url_names_a_socket(query) {
        return Err(TlsConflict {
            field: "tls",
            reason: format!(
                "\"{mode}\" needs a TCP connection, but the URL names a unix socket, which \
                 is never encrypted (a local socket needs no TLS: use \"disabled\" or \"preferred\")"
            ),
        });
    }
    Ok(())
}

fn url_names_a_socket(query: &str) -> bool {
    query.split('&').any(|pair| {
        pair.split_once('=')
            .is_some_and(|(k, v)| k == "socket" && !v.is_empty())
    })
}

/// Whether a connection made with `opts` is a unix-socket one (where
/// mysql_async never uses TLS).
fn uses_socket(opts: &Opts) -> bool {
    opts.socket().is_some()
}

/// The connection options for `mode`. `tls` says whether to ask for TLS at
/// all (the `preferred` fallback passes false).
pub(crate) fn apply(
    builder: OptsBuilder,
    base: &Opts,
    mode: TlsMode,
    ca_file: Option<&CaFile>,
    tls: bool,
) -> OptsBuilder {
    if !tls || mode == TlsMode::Disabled || uses_socket(base) {
        return builder.ssl_opts(None::<SslOpts>);
    }
    let ssl = match mode {
        TlsMode::VerifyIdentity => match ca_file {
            Some(ca) => SslOpts::default()
                .with_root_certs(vec![ca.contents.clone().into()])
                // The CA file replaces the built-in roots, as --ssl-ca does.
                .with_disable_built_in_roots(true),
            None => SslOpts::default(),
        },
        _ => SslOpts::default().with_danger_accept_invalid_certs(true),
    };
    let builder = builder.ssl_opts(Some(ssl));
    if mode.requires_tls() {
        // mysql_async would otherwise move a loopback TCP connection to the
        // server's unix socket after connecting, where it never uses TLS.
        builder.prefer_socket(false)
    } else {
        builder
    }
}

/// Whether `err` says the server has no TLS to offer (what `preferred`
/// falls back on).
pub(crate) fn is_no_tls_on_server(err: &mysql_async::Error) -> bool {
    matches!(
        err,
        mysql_async::Error::Driver(mysql_async::DriverError::NoClientSslFlagFromServer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_from_their_names_only() {
        for mode in TlsMode::ALL {
            assert_eq!(mode.as_str().parse::<TlsMode>(), Ok(mode));
        }
        let err = "VERIFY_IDENTITY"
            .parse::<TlsMode>()
            .expect_err("case matters");
        assert!(err.contains("verify_identity"), "{err}");
        assert!("true".parse::<TlsMode>().is_err());
        assert_eq!(TlsMode::default(), TlsMode::Preferred);
    }

    #[test]
    fn tls_parameters_in_the_url_are_refused() {
        let err = check_tls("mysql://h/db?require_ssl=true", TlsMode::Required, false)
            .expect_err("URL TLS");
        assert_eq!(err.field, "url");
        assert!(err.to_string().contains("require_ssl"), "{err}");
        assert!(check_tls("mysql://h/db?prefer_socket=false", TlsMode::Required, false).is_ok());
    }

    #[test]
    fn a_socket_url_cannot_require_tls() {
        let url = "mysql://u@localhost/db?socket=%2Frun%2Fmysqld%2Fmysqld.sock";
        for mode in [TlsMode::Required, TlsMode::VerifyIdentity] {
            let err = check_tls(url, mode, false).expect_err("socket");
            assert_eq!(err.field, "tls");
        }
        for mode in [TlsMode::Disabled, TlsMode::Preferred] {
            assert!(check_tls(url, mode, false).is_ok());
        }
    }

    #[test]
    fn an_empty_or_garbage_ca_file_is_refused() {
        let dir = std::env::temp_dir().join(format!("fleet-sql-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "\n").expect("write");
        assert!(matches!(
            CaFile::read(&empty),
            Err(CaFileError::NoCertificate { .. })
        ));
        let garbage = dir.join("garbage.pem");
        std::fs::write(&garbage, "not a certificate\n").expect("write");
        assert!(matches!(
            CaFile::read(&garbage),
            Err(CaFileError::Invalid { .. })
        ));
        let missing = dir.join("missing.pem");
        assert!(matches!(
            CaFile::read(&missing),
            Err(CaFileError::Read { .. })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
