use std::net::SocketAddr;

use ossuary_crypto::{PublicKey, SecretKey};
use proptest::prelude::*;

use super::{Accepted, HostKeyStatus, HostPort, KnownHost, KnownHosts};
use crate::error::Error;
use crate::expected::Expected;
use crate::fingerprint::Fingerprint;
use crate::found::Found;

fn key(seed: u8) -> PublicKey {
    SecretKey::from_bytes(&[seed; 32]).public_key()
}

fn hp(s: &str) -> HostPort {
    s.parse().unwrap()
}

fn err(text: &str) -> (Option<usize>, Found) {
    match KnownHosts::parse(text) {
        Err(Error::Parse {
            file: None,
            line,
            expected: Expected::KnownHost,
            found,
        }) => (line, found),
        other => panic!("{other:?}"),
    }
}

#[test]
fn host_ports() {
    assert_eq!(hp("Example.COM:7000").to_string(), "example.com:7000");
    assert_eq!(hp("192.0.2.1:1").to_string(), "192.0.2.1:1");
    assert_eq!(hp("[::1]:65535").to_string(), "[::1]:65535");
    assert_eq!(hp("[0:0::1]:22"), hp("[::1]:22"));
    assert_eq!(hp("[::ffff:192.0.2.1]:22"), hp("192.0.2.1:22"));
    assert_eq!(HostPort::new("[::1]", 22).unwrap(), hp("[::1]:22"));
    assert_eq!(HostPort::new("::1", 22).unwrap(), hp("[::1]:22"));
    assert_eq!(HostPort::new("a_b-c.d", 22).unwrap().port(), 22);
    let addr: SocketAddr = "[::1]:7000".parse().unwrap();
    assert_eq!(HostPort::try_from(addr).unwrap(), hp("[::1]:7000"));
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    assert!(HostPort::try_from(addr).is_err());
    assert_ne!(hp("localhost:22"), hp("127.0.0.1:22"));

    let bad = |s: &str| match s.parse::<HostPort>() {
        Err(Error::Parse {
            file: None,
            line: None,
            expected: Expected::HostPort,
            found,
        }) => found,
        other => panic!("{s}: {other:?}"),
    };
    assert_eq!(bad("example.com"), Found::MissingPort);
    assert_eq!(bad("[::1]"), Found::MissingPort);
    assert_eq!(bad("::1:22"), Found::InvalidHost);
    assert_eq!(bad("[::1]22"), Found::InvalidPort);
    assert_eq!(bad("[nope]:22"), Found::InvalidHost);
    assert_eq!(bad("exa mple:22"), Found::InvalidHost);
    assert_eq!(bad(":22"), Found::InvalidHost);
    assert_eq!(bad("example.com:0"), Found::InvalidPort);
    assert_eq!(bad("example.com:65536"), Found::InvalidPort);
    assert_eq!(bad("example.com:+22"), Found::InvalidPort);
    assert_eq!(bad("example.com:"), Found::InvalidPort);
    assert!(HostPort::new("example.com", 0).is_err());
    assert!(HostPort::new("a,b", 1).is_err());
    assert!(HostPort::new("[::1", 1).is_err());
    assert!(
        "exa mple:22"
            .parse::<HostPort>()
            .unwrap_err()
            .to_string()
            .starts_with("expected \"host:port\", found a host that is neither")
    );
}

#[test]
fn known_unknown_changed_revoked() {
    let text = format!(
        "# servers\n\
         example.com:7000,192.0.2.7:7000 {} web\n\
         [2001:db8::7]:7000 {}\n\
         \n\
         rotating.example:7000 {}\n\
         rotating.example:7000 {}   # new key\n\
         @revoked {} lost laptop\n",
        key(1),
        key(2),
        key(3),
        key(4),
        key(9),
    );
    let known = KnownHosts::parse(&text).unwrap();
    assert_eq!(known.hosts().len(), 4);
    assert_eq!(known.revoked().len(), 1);
    assert_eq!(known.revoked()[0].comment(), Some("lost laptop"));
    assert_eq!(known.hosts()[0].comment(), Some("web"));
    assert_eq!(known.hosts()[0].hosts().len(), 2);

    assert_eq!(
        known.lookup(&hp("example.com:7000"), &key(1)),
        HostKeyStatus::Known
    );
    assert_eq!(
        known.lookup(&hp("192.0.2.7:7000"), &key(1)),
        HostKeyStatus::Known
    );
    assert_eq!(
        known.lookup(&hp("EXAMPLE.com:7000"), &key(1)),
        HostKeyStatus::Known
    );
    // Ports distinguish hosts.
    assert_eq!(
        known.lookup(&hp("example.com:7001"), &key(1)),
        HostKeyStatus::Unknown
    );
    assert_eq!(
        known.lookup(&hp("other.example:7000"), &key(1)),
        HostKeyStatus::Unknown
    );
    // IPv6.
    assert_eq!(
        known.lookup(&hp("[2001:db8::7]:7000"), &key(2)),
        HostKeyStatus::Known
    );
    assert_eq!(
        known.lookup(&hp("[2001:db8:0::7]:7000"), &key(1)),
        HostKeyStatus::Changed {
            recorded: vec![key(2)]
        }
    );
    assert_eq!(
        known.lookup(&hp("[2001:db8::7]:7001"), &key(2)),
        HostKeyStatus::Unknown
    );
    // Changed lists every key on record.
    assert_eq!(
        known.lookup(&hp("rotating.example:7000"), &key(3)),
        HostKeyStatus::Known
    );
    assert_eq!(
        known.lookup(&hp("rotating.example:7000"), &key(4)),
        HostKeyStatus::Known
    );
    assert_eq!(
        known.lookup(&hp("rotating.example:7000"), &key(5)),
        HostKeyStatus::Changed {
            recorded: vec![key(3), key(4)]
        }
    );
    // Revoked for every host, known or not.
    assert_eq!(
        known.lookup(&hp("example.com:7000"), &key(9)),
        HostKeyStatus::Revoked
    );
    assert_eq!(
        known.lookup(&hp("new.example:1"), &key(9)),
        HostKeyStatus::Revoked
    );
}

#[test]
fn a_revoked_key_on_record_is_still_revoked() {
    let text = format!("example.com:7000 {}\n@revoked {}\n", key(1), key(1));
    let known = KnownHosts::parse(&text).unwrap();
    assert_eq!(
        known.lookup(&hp("example.com:7000"), &key(1)),
        HostKeyStatus::Revoked
    );
}

#[test]
fn verify_is_strict() {
    let known = KnownHosts::parse(format!(
        "example.com:7000 {}\n@revoked {}\n",
        key(1),
        key(9)
    ))
    .unwrap();
    let host = hp("example.com:7000");
    assert_eq!(known.verify(&host, &key(1)), Ok(()));
    assert_eq!(
        known.verify(&hp("example.com:7001"), &key(1)),
        Err(Error::UnknownHost {
            host: hp("example.com:7001"),
            offered: Fingerprint::of(&key(1)),
        })
    );
    let changed = known.verify(&host, &key(2)).unwrap_err();
    assert_eq!(
        changed,
        Error::HostKeyChanged {
            host: host.clone(),
            offered: Fingerprint::of(&key(2)),
            recorded: vec![Fingerprint::of(&key(1))],
        }
    );
    let message = changed.to_string();
    assert!(
        message.starts_with("the key of example.com:7000 has changed"),
        "{message}"
    );
    assert!(
        message.contains(&Fingerprint::of(&key(1)).to_string()),
        "{message}"
    );
    assert!(
        message.contains(&Fingerprint::of(&key(2)).to_string()),
        "{message}"
    );
    assert_eq!(
        known.verify(&host, &key(9)),
        Err(Error::HostKeyRevoked {
            host,
            offered: Fingerprint::of(&key(9)),
        })
    );
}

#[test]
fn accept_new_records_then_knows_and_refuses_a_changed_key() {
    let mut known = KnownHosts::new();
    let host = hp("[::1]:7000");
    let Accepted::New(entry) = known.accept_new(&host, &key(1)).unwrap() else {
        panic!("not recorded");
    };
    assert_eq!(entry, KnownHost::new(host.clone(), key(1)));
    assert_eq!(entry.to_string(), format!("[::1]:7000 {}", key(1)));
    assert_eq!(known.lookup(&host, &key(1)), HostKeyStatus::Known);
    assert_eq!(known.accept_new(&host, &key(1)), Ok(Accepted::Known));

    let before = known.clone();
    assert_eq!(
        known.accept_new(&host, &key(2)),
        Err(Error::HostKeyChanged {
            host: host.clone(),
            offered: Fingerprint::of(&key(2)),
            recorded: vec![Fingerprint::of(&key(1))],
        })
    );
    assert_eq!(known, before, "a refusal changes nothing");
    // The same key on another port is another host.
    assert!(matches!(
        known.accept_new(&hp("[::1]:7001"), &key(2)),
        Ok(Accepted::New(_))
    ));
}

#[test]
fn accept_new_refuses_a_revoked_key() {
    let mut known = KnownHosts::parse(format!("@revoked {}\n", key(9))).unwrap();
    assert!(matches!(
        known.accept_new(&hp("new.example:1"), &key(9)),
        Err(Error::HostKeyRevoked { .. })
    ));
    assert!(known.hosts().is_empty());
}

#[test]
fn errors_name_the_line_and_what_was_found() {
    let k = key(1);
    let b64 = "AAAAC3NzaC1lZDI1NTE5AAAAIGt0ZXN0a2V5dGVzdGtleXRlc3RrZXl0ZXN0a2V5";
    let cases: Vec<(String, Found)> = vec![
        (format!("example.com ssh-ed25519 {b64}"), Found::OpenSshKey),
        (format!("|1|abc=|def= ssh-ed25519 {b64}"), Found::OpenSshKey),
        (format!("ssh-ed25519 {b64} me"), Found::OpenSshKey),
        (format!("example.com {k}"), Found::MissingPort),
        (format!("example.com:x {k}"), Found::InvalidPort),
        (format!("ex!ample:1 {k}"), Found::InvalidHost),
        (format!("a:1,,b:2 {k}"), Found::InvalidHost),
        (format!("::1:22 {k}"), Found::InvalidHost),
        (format!("{k} no host"), Found::PublicKey),
        ("example.com:7000".to_owned(), Found::EndOfLine),
        (
            "example.com:7000 ossuary-ed25519".to_owned(),
            Found::EndOfLine,
        ),
        (
            format!("example.com:7000 ossuary-x448 {b64}"),
            Found::UnknownKeyType,
        ),
        ("@revoked".to_owned(), Found::EndOfLine),
        (format!("@revoked ssh-ed25519 {b64}"), Found::OpenSshKey),
        (format!("@cert-authority *:22 {k}"), Found::UnknownMarker),
        (
            "-----BEGIN OSSUARY SECRET KEY-----".to_owned(),
            Found::SecretKey,
        ),
        (
            "example.com:7000 ossuary-ed25519 AAAA".to_owned(),
            Found::KeyLength(3),
        ),
        (
            format!("example.com:7000 {k} a\u{1b}b"),
            Found::ControlCharacter,
        ),
    ];
    for (line, found) in cases {
        let text = format!("# first\n\nexample.org:1 {k}\n{line}\n");
        assert_eq!(err(&text), (Some(4), found), "{line}");
    }
    let message = KnownHosts::parse(format!("a:1 {k}\n\nexample.com ssh-ed25519 {b64}\n"))
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with(
            "known_hosts:3: expected \"host:port ossuary-ed25519 <base64>\", found an OpenSSH key (\"ssh-ed25519 ...\""
        ),
        "{message}"
    );
}

#[test]
fn comments_on_entries() {
    let entry = KnownHost::new(hp("a:1"), key(1))
        .with_comment(" added today ")
        .unwrap();
    assert_eq!(entry.comment(), Some("added today"));
    assert_eq!(entry.to_string(), format!("a:1 {} added today", key(1)));
    assert_eq!(
        KnownHost::new(hp("a:1"), key(1)).with_comment("x\ny"),
        Err(Error::InvalidComment)
    );
}

/// Host strings that are valid, in every form.
fn host_port() -> impl Strategy<Value = HostPort> {
    let name = "[a-zA-Z0-9._-]{1,20}".prop_map(|s| s);
    let v4 = any::<[u8; 4]>().prop_map(|b| std::net::Ipv4Addr::from(b).to_string());
    let v6 = any::<[u8; 16]>().prop_map(|b| format!("[{}]", std::net::Ipv6Addr::from(b)));
    (prop_oneof![name, v4, v6], 1u16..)
        .prop_filter_map("valid", |(host, port)| HostPort::new(&host, port).ok())
}

proptest! {
    #[test]
    fn host_port_display_then_parse(host in host_port()) {
        prop_assert_eq!(host.to_string().parse::<HostPort>(), Ok(host));
    }

    #[test]
    fn format_then_parse(
        entries in proptest::collection::vec(
            (
                proptest::collection::vec(host_port(), 1..4),
                proptest::array::uniform32(any::<u8>()),
                proptest::option::of("[^\\p{Cc}]{0,20}"),
            ),
            0..5,
        ),
        revoked in proptest::collection::vec(proptest::array::uniform32(any::<u8>()), 0..3),
    ) {
        let mut text = String::new();
        let mut expected = KnownHosts::new();
        for (hosts, seed, comment) in &entries {
            let mut entry = KnownHost::new(hosts[0].clone(), SecretKey::from_bytes(seed).public_key());
            entry.hosts.extend(hosts[1..].iter().cloned());
            if let Some(c) = comment {
                entry = entry.with_comment(c).unwrap();
            }
            text.push_str(&format!("{entry}\n"));
            expected.hosts.push(entry);
        }
        for seed in &revoked {
            let line = crate::PublicKeyLine::new(SecretKey::from_bytes(seed).public_key());
            text.push_str(&format!("@revoked {line}\n"));
            expected.revoked.push(line);
        }
        prop_assert_eq!(KnownHosts::parse(&text), Ok(expected));
    }

    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = KnownHosts::parse(&bytes);
    }

    #[test]
    fn parse_never_panics_on_text(s in "\\PC*") {
        let _ = KnownHosts::parse(&s);
    }

    #[test]
    fn host_port_parse_never_panics(s in "[\\[\\]:0-9a-fA-F.,x ]{0,30}") {
        let _ = s.parse::<HostPort>();
    }
}
