//! Where a webhook may point: an `http` or `https` URL whose host is reachable on the public
//! network, unless the ledger's settings allow loopback and private addresses (a receiver on
//! the same machine or network). Checked when subscribing and again before every delivery,
//! since a name can come to resolve elsewhere.

use std::net::IpAddr;

/// The longest URL accepted.
pub const MAX_URL: usize = 2000;

/// Why `url` is not a webhook target, if it is not one at all (its form).
pub fn check_form(url: &str) -> Result<reqwest::Url, String> {
    if url.chars().count() > MAX_URL {
        return Err(format!("must be at most {MAX_URL} characters"));
    }
    let parsed = reqwest::Url::parse(url).map_err(|_| "must be an absolute URL".to_string())?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("must be an http or https URL".into());
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("must name a host".into());
    }
    Ok(parsed)
}

/// Whether `ip` is only reachable locally or within a private network.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// Refuses `url` if its host resolves to a loopback or private address (unless allowed) or
/// does not resolve at all.
pub async fn check_reachable(url: &str, allow_private: bool) -> Result<(), String> {
    let parsed = check_form(url)?;
    if allow_private {
        return Ok(());
    }
    let host = parsed
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']']);
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| "the host does not resolve".to_string())?
            .map(|a| a.ip())
            .collect(),
    };
    if addrs.iter().any(|ip| is_private(*ip)) {
        return Err(
            "the host is a loopback or private address (the ledger's settings do not allow them)"
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_private_and_link_local_addresses_are_private() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn only_absolute_http_urls_are_targets() {
        assert!(check_form("https://hooks.example.com/saldo").is_ok());
        assert!(check_form("ftp://example.com/").is_err());
        assert!(check_form("/relative").is_err());
        assert!(check_form(&format!("https://e.com/{}", "a".repeat(MAX_URL))).is_err());
    }

    #[tokio::test]
    async fn a_loopback_receiver_is_refused_unless_allowed() {
        assert!(
            check_reachable("http://127.0.0.1:9/x", false)
                .await
                .is_err()
        );
        assert!(check_reachable("http://[::1]:9/x", false).await.is_err());
        assert!(check_reachable("http://127.0.0.1:9/x", true).await.is_ok());
    }
}
