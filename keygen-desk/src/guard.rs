//! What every request passes: its `Host` must be a name the desk serves (its listen address,
//! or a `--public-url`): otherwise 421, so a page of another site that a DNS rebinding points
//! at the desk's address reaches nothing; a state-changing request (anything but GET and
//! HEAD) must come from the desk's own pages (its `Origin`, or failing that its `Referer`, is
//! one of the desk's origins); and every answer carries the security headers: a
//! Content-Security-Policy with no inline script and `frame-ancestors 'none'`, and
//! `Cache-Control: no-store` (pages show keys, customers' names and contacts: nothing is kept
//! in a cache).

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use keygen_core::error::Error;

/// The Content-Security-Policy: scripts and styles from the desk's own files only.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                       connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Where the desk is, as browsers name it.
#[derive(Clone, Debug, Default)]
pub struct Site {
    /// The `Host` values it answers (lowercase, `name` or `name:port`).
    pub hosts: HashSet<String>,
    /// The origins its pages have (`scheme://name[:port]`, the port only when not the
    /// scheme's own).
    pub origins: HashSet<String>,
    /// The desk itself serves TLS.
    pub tls: bool,
    /// The browser reaches it over HTTPS (itself, or a proxy before it): cookies are `Secure`.
    pub https: bool,
    /// Proxies whose `X-Forwarded-For` names the client (for the sign-in throttle), and
    /// whose connections are not counted per address.
    pub trusted_proxies: Vec<IpAddr>,
}

impl Site {
    /// The names of `listen` (the address bound), and of every `--public-url`.
    pub fn new(
        listen: SocketAddr,
        tls: bool,
        public_urls: &[String],
        trusted_proxies: &[IpAddr],
    ) -> Result<Site, Error> {
        let mut site = Site { tls, https: tls, trusted_proxies: trusted_proxies.to_vec(), ..Site::default() };
        let scheme = if tls { "https" } else { "http" };
        let port = listen.port();
        let ip = listen.ip();
        if ip.is_unspecified() {
            if public_urls.is_empty() {
                return Err(Error::input(format!(
                    "--listen {listen} answers on every address of the machine: name the one people type with --public-url (e.g. --public-url {scheme}://desk.example.com:{port})"
                )));
            }
        } else {
            let literal = match ip {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("[{v6}]"),
            };
            site.add(scheme, &literal, port);
            // `localhost` is the loopback by definition (RFC 6761): no DNS answer moves it.
            if ip.is_loopback() {
                site.add(scheme, "localhost", port);
            }
        }
        for url in public_urls {
            let (scheme, name, port) = parse_url(url)?;
            site.https |= scheme == "https";
            site.add(scheme, &name, port);
        }
        Ok(site)
    }

    fn add(&mut self, scheme: &str, name: &str, port: u16) {
        let default = if scheme == "https" { 443 } else { 80 };
        let name = name.to_ascii_lowercase();
        self.hosts.insert(format!("{name}:{port}"));
        if port == default {
            self.hosts.insert(name.clone());
            self.origins.insert(format!("{scheme}://{name}"));
        } else {
            self.origins.insert(format!("{scheme}://{name}:{port}"));
        }
    }

    /// Whether the request's `Host` is one the desk serves.
    pub fn serves(&self, headers: &HeaderMap) -> bool {
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|h| self.hosts.contains(&h.to_ascii_lowercase()))
    }

    /// Whether the request's `Origin` (or, without one, its `Referer`) is one of the desk's.
    pub fn same_origin(&self, headers: &HeaderMap) -> bool {
        if let Some(origin) = headers.get(header::ORIGIN) {
            return origin.to_str().is_ok_and(|o| self.origins.contains(&o.to_ascii_lowercase()));
        }
        headers.get(header::REFERER).and_then(|r| r.to_str().ok()).is_some_and(|r| {
            let r = r.to_ascii_lowercase();
            self.origins.iter().any(|own| {
                r == *own || r.strip_prefix(own.as_str()).is_some_and(|rest| rest.starts_with('/'))
            })
        })
    }
}

/// `http(s)://name[:port][/]`: the scheme, the name (lowercase) and the port.
fn parse_url(url: &str) -> Result<(&'static str, String, u16), Error> {
    let bad = |why: &str| {
        Error::input(format!(
            "--public-url {url}: {why}; give the address people type, e.g. https://desk.example.com or http://127.0.0.1:8417"
        ))
    };
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("https://") {
        ("https", rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        ("http", rest)
    } else {
        return Err(bad("not http:// or https://"));
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
        return Err(bad("only a scheme, a name and a port: no path, query or user"));
    }
    let (name, port) = match authority.rsplit_once(':') {
        Some((name, port)) if !port.contains(']') => {
            (name, port.parse::<u16>().map_err(|_| bad(&format!("'{port}' is not a port")))?)
        }
        _ => (authority, if scheme == "https" { 443 } else { 80 }),
    };
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':');
    if name.is_empty() || !name.chars().all(valid) {
        return Err(bad(&format!("'{name}' is not a host name")));
    }
    Ok((scheme, name.to_ascii_lowercase(), port))
}

/// The middleware.
pub async fn guard(State(desk): State<super::State>, request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD);
    let mut response = if !desk.site.serves(request.headers()) {
        (
            StatusCode::MISDIRECTED_REQUEST,
            "Refused: this desk does not serve the host this request names (its Host header).",
        )
            .into_response()
    } else if safe || desk.site.same_origin(request.headers()) {
        next.run(request).await
    } else {
        (StatusCode::FORBIDDEN, "Refused: this request did not come from the desk's own pages (its Origin).")
            .into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if desk.tls {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_are_read_strictly() {
        assert_eq!(
            parse_url("https://Desk.Example.com/").unwrap(),
            ("https", "desk.example.com".into(), 443)
        );
        assert_eq!(parse_url("http://127.0.0.1:8417").unwrap(), ("http", "127.0.0.1".into(), 8417));
        assert_eq!(parse_url("https://[::1]:9443").unwrap(), ("https", "[::1]".into(), 9443));
        for bad in
            ["desk.example.com", "ftp://x", "https://x/desk", "https://u@x", "https://x:99999", "https://"]
        {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_port_is_implied_in_origins_and_allowed_in_hosts() {
        let site =
            Site::new("127.0.0.1:8417".parse().unwrap(), false, &["https://desk.example.com".into()], &[])
                .unwrap();
        for h in ["127.0.0.1:8417", "localhost:8417", "desk.example.com", "desk.example.com:443"] {
            assert!(site.hosts.contains(h), "{h}");
        }
        assert!(site.origins.contains("https://desk.example.com"));
        assert!(site.origins.contains("http://127.0.0.1:8417"));
        assert!(site.https);
        assert!(Site::new("0.0.0.0:8417".parse().unwrap(), true, &[], &[]).is_err());
    }
}
