//! Native TLS (rustls): the server's certificate and key, and `saldo tls init`, which makes a
//! local certificate authority and a server certificate signed by it, as MyQ X does with its
//! own CA. Clients that trust only that CA fetch it from `GET /api/v3/certificates/ca`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// What the listener needs to speak TLS, and the CA certificate it hands to clients.
#[derive(Clone)]
pub struct Tls {
    pub acceptor: TlsAcceptor,
    /// PEM of the certificate authority that signed the server's certificate, if known.
    pub ca_pem: Option<Arc<str>>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("ca_pem", &self.ca_pem.is_some())
            .finish_non_exhaustive()
    }
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn certificates(pem: &[u8], path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let chain = rustls_pemfile::certs(&mut &pem[..])
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("reading the certificates in {}", path.display()))?;
    if chain.is_empty() {
        bail!("{} holds no PEM certificate", path.display());
    }
    Ok(chain)
}

/// Loads the server's certificate chain and key. The CA certificate served to clients is
/// `ca` when given, else the last certificate of a chain longer than one (as `tls init`
/// writes it), else none.
pub fn load(cert: &Path, key: &Path, ca: Option<&Path>) -> anyhow::Result<Tls> {
    let chain_pem = read(cert)?;
    let chain = certificates(&chain_pem, cert)?;
    let key_pem = read(key)?;
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut &key_pem[..])
        .with_context(|| format!("reading the private key in {}", key.display()))?
        .with_context(|| format!("{} holds no PEM private key", key.display()))?;
    let ca_pem = match ca {
        Some(path) => {
            let pem = read(path)?;
            certificates(&pem, path)?;
            Some(String::from_utf8(pem).context("the CA certificate is not text")?)
        }
        None if chain.len() > 1 => Some(pem_of(chain.last().expect("more than one"))),
        None => None,
    };
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("choosing TLS versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the certificate does not match the key")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Tls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca_pem: ca_pem.map(Into::into),
    })
}

fn pem_of(der: &CertificateDer<'_>) -> String {
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

/// The files `tls init` writes.
#[derive(Debug)]
pub struct Made {
    pub ca: PathBuf,
    pub ca_key: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Makes a certificate authority and a server certificate for `hosts` (DNS names or IP
/// addresses) signed by it, in `dir`. Refuses to replace existing files unless `force`.
pub fn init(dir: &Path, hosts: &[String], force: bool) -> anyhow::Result<Made> {
    if hosts.is_empty() {
        bail!("name at least one host the server is reached at (--host)");
    }
    let made = Made {
        ca: dir.join("ca.pem"),
        ca_key: dir.join("ca-key.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server-key.pem"),
    };
    for path in [&made.ca, &made.ca_key, &made.cert, &made.key] {
        if path.exists() && !force {
            bail!("{} exists; pass --force to replace it", path.display());
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;

    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.distinguished_name = name("saldo local certificate authority");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate()?;
    let ca = ca_params.self_signed(&ca_key)?;

    let mut params = CertificateParams::new(hosts.to_vec())
        .context("a host is neither a DNS name nor an IP address")?;
    params.distinguished_name = name(&hosts[0]);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &ca, &ca_key)?;

    write(&made.ca, &ca.pem(), false)?;
    write(&made.ca_key, &ca_key.serialize_pem(), true)?;
    // The chain: the server's certificate, then the CA's, so clients can build it.
    write(&made.cert, &format!("{}{}", cert.pem(), ca.pem()), false)?;
    write(&made.key, &key.serialize_pem(), true)?;
    Ok(made)
}

fn name(common: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common);
    dn.push(DnType::OrganizationName, "saldo");
    dn
}

fn write(path: &Path, text: &str, secret: bool) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    if secret {
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_writes_a_chain_that_loads_and_names_its_ca() {
        let dir = tempfile::tempdir().unwrap();
        let hosts = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        let made = init(dir.path(), &hosts, false).unwrap();
        let tls = load(&made.cert, &made.key, None).unwrap();
        let ca = std::fs::read_to_string(&made.ca).unwrap();
        assert_eq!(
            tls.ca_pem.as_deref(),
            Some(ca.as_str()),
            "the chain's last is the CA"
        );
        let mode = std::fs::metadata(&made.key).unwrap().permissions();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            mode.mode() & 0o777,
            0o600,
            "keys are readable by their owner only"
        );
        let again = init(dir.path(), &hosts, false).unwrap_err();
        assert!(again.to_string().contains("--force"), "{again}");
        assert!(init(dir.path(), &hosts, true).is_ok());
        assert!(
            load(&made.cert, &made.ca_key, None).is_err(),
            "a key of another certificate"
        );
    }
}
