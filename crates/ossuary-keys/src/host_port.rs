//! A host and port, as a known-hosts line names them.
//!
//! `Error` names this type, so its constructors that return `Error` (`new`,
//! `FromStr`, `TryFrom<SocketAddr>`) are in `parse.rs`.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use crate::found::Found;

/// A host and port, as a known-hosts line names them: `name:port`,
/// `192.0.2.1:port` or `[2001:db8::1]:port`.
///
/// A name is ASCII letters, digits, `-`, `.` and `_`, compared without
/// regard to case (it is stored in lower case). An address is compared as an
/// address (`[::1]` and `[0::1]` are the same; an IPv4-mapped IPv6 address is
/// its IPv4 address). A name is not resolved: `localhost:7000` and
/// `127.0.0.1:7000` are different hosts. IPv6 zone identifiers (`%eth0`) are
/// not supported. The port is 1 to 65535, so the same host on two ports is
/// two entries.
///
/// ```
/// use ossuary_keys::HostPort;
///
/// let host: HostPort = "Example.COM:7000".parse()?;
/// assert_eq!(host.to_string(), "example.com:7000");
/// assert_eq!(HostPort::new("::1", 7000)?.to_string(), "[::1]:7000");
/// assert_eq!("[::1]:7000".parse::<HostPort>()?, HostPort::new("::1", 7000)?);
/// assert_ne!(HostPort::new("example.com", 7001)?, host);
/// # Ok::<(), ossuary_keys::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HostPort {
    host: Host,
    port: u16,
}

/// A host name (lower case) or an address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Host {
    Name(String),
    Ip(IpAddr),
}

impl HostPort {
    /// A host and port from their parts; `new` (in `parse.rs`) wraps the
    /// error.
    pub(crate) fn from_parts(host: &str, port: u16) -> Result<Self, Found> {
        if port == 0 {
            return Err(Found::InvalidPort);
        }
        let host = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(v6) => v6
                .parse::<Ipv6Addr>()
                .map(|ip| Host::Ip(IpAddr::V6(ip).to_canonical()))
                .map_err(|_| Found::InvalidHost),
            None => parse_host(host),
        }?;
        Ok(Self { host, port })
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Parses `host:port`; `FromStr` (in `parse.rs`) wraps the error.
    pub(crate) fn parse(s: &str) -> Result<Self, Found> {
        if s.is_empty() {
            return Err(Found::InvalidHost);
        }
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (v6, port) = rest.split_once(']').ok_or(Found::InvalidHost)?;
            let v6 = v6.parse::<Ipv6Addr>().map_err(|_| Found::InvalidHost)?;
            if port.is_empty() {
                return Err(Found::MissingPort);
            }
            let port = port.strip_prefix(':').ok_or(Found::InvalidPort)?;
            (Host::Ip(IpAddr::V6(v6).to_canonical()), port)
        } else {
            let (host, port) = s.rsplit_once(':').ok_or(Found::MissingPort)?;
            if host.contains(':') {
                // A bare IPv6 address: the port is ambiguous without brackets.
                return Err(Found::InvalidHost);
            }
            (parse_host(host)?, port)
        };
        Ok(Self {
            host,
            port: parse_port(port)?,
        })
    }
}

/// A host name or an address, without brackets or port.
fn parse_host(s: &str) -> Result<Host, Found> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(Host::Ip(ip.to_canonical()));
    }
    let valid = !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if !valid {
        return Err(Found::InvalidHost);
    }
    Ok(Host::Name(s.to_ascii_lowercase()))
}

/// A port from 1 to 65535, in decimal digits only.
fn parse_port(s: &str) -> Result<u16, Found> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Found::InvalidPort);
    }
    match s.parse::<u16>() {
        Ok(port) if port != 0 => Ok(port),
        _ => Err(Found::InvalidPort),
    }
}

impl HostPort {
    /// The address and port of a socket address; `TryFrom` (in `parse.rs`)
    /// wraps the error.
    pub(crate) fn from_socket_addr(addr: SocketAddr) -> Result<Self, Found> {
        if addr.port() == 0 {
            return Err(Found::InvalidPort);
        }
        Ok(Self {
            host: Host::Ip(addr.ip().to_canonical()),
            port: addr.port(),
        })
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Host::Name(name) => write!(f, "{name}:{}", self.port),
            Host::Ip(IpAddr::V4(ip)) => write!(f, "{ip}:{}", self.port),
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]:{}", self.port),
        }
    }
}
