//! Addresses as the user writes them: `HOST:PORT`, `[IPv6]:PORT` or
//! `unix:PATH`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use ossuary_core::keys::HostPort;

/// Where to connect or listen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Addr {
    /// A TCP host (a name, an IPv4 address, or an IPv6 address without its
    /// brackets) and port. Port 0 asks the system for a free port (listen).
    Tcp {
        /// The host as given.
        host: String,
        /// The port.
        port: u16,
    },
    /// A UNIX socket path.
    Unix(PathBuf),
}

impl Addr {
    /// The host and port as a known-hosts line names them; `None` for a
    /// UNIX socket (which known_hosts cannot name) or port 0.
    pub(crate) fn host_port(&self) -> Option<HostPort> {
        match self {
            Self::Tcp { host, port } => {
                let host = if host.contains(':') {
                    format!("[{host}]")
                } else {
                    host.clone()
                };
                HostPort::new(&host, *port).ok()
            }
            Self::Unix(_) => None,
        }
    }
}

impl FromStr for Addr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(path) = s.strip_prefix("unix:") {
            if path.is_empty() {
                return Err("unix: needs a socket path (unix:/run/app.sock)".into());
            }
            return Ok(Self::Unix(PathBuf::from(path)));
        }
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (v6, port) = rest
                .split_once("]:")
                .ok_or("an IPv6 address is written [ADDRESS]:PORT")?;
            if v6.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(format!("`{v6}` is not an IPv6 address"));
            }
            (v6, port)
        } else {
            let (host, port) = s
                .rsplit_once(':')
                .ok_or("expected HOST:PORT, [IPv6]:PORT or unix:PATH")?;
            if host.contains(':') {
                return Err("an IPv6 address is written in brackets: [ADDRESS]:PORT".into());
            }
            (host, port)
        };
        if host.is_empty() {
            return Err("the host is missing (HOST:PORT; 0.0.0.0:PORT listens everywhere)".into());
        }
        if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("the host contains spaces or control characters".into());
        }
        let port = port
            .parse::<u16>()
            .map_err(|_| format!("`{port}` is not a port number (0 to 65535)"))?;
        Ok(Self::Tcp {
            host: host.to_owned(),
            port,
        })
    }
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Self::Tcp { host, port } => write!(f, "{host}:{port}"),
            Self::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use proptest::prelude::*;

    use super::Addr;

    fn tcp(host: &str, port: u16) -> Addr {
        Addr::Tcp {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn forms() {
        assert_eq!("example.com:7000".parse(), Ok(tcp("example.com", 7000)));
        assert_eq!("127.0.0.1:0".parse(), Ok(tcp("127.0.0.1", 0)));
        assert_eq!("[::1]:7000".parse(), Ok(tcp("::1", 7000)));
        assert_eq!(
            "unix:/run/a b.sock".parse(),
            Ok(Addr::Unix(PathBuf::from("/run/a b.sock")))
        );
        for bad in [
            "",
            "7000",
            ":7000",
            "host",
            "host:",
            "host:70000",
            "host:-1",
            "::1:7000",
            "[::1]",
            "[nope]:1",
            "unix:",
            "a b:1",
        ] {
            assert!(bad.parse::<Addr>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn known_hosts_names_tcp_hosts_only() {
        assert_eq!(
            tcp("Example.com", 7000).host_port().map(|h| h.to_string()),
            Some("example.com:7000".into())
        );
        assert_eq!(
            tcp("::1", 7).host_port().map(|h| h.to_string()),
            Some("[::1]:7".into())
        );
        assert_eq!(Addr::Unix("/x".into()).host_port(), None);
        assert_eq!(tcp("h", 0).host_port(), None);
    }

    proptest! {
        #[test]
        fn display_parses_back(host in "[a-z0-9.-]{1,20}", port in any::<u16>()) {
            let addr = tcp(&host, port);
            prop_assert_eq!(addr.to_string().parse::<Addr>(), Ok(addr));
        }

        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = s.parse::<Addr>();
        }
    }
}
