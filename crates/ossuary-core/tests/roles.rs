//! Every role combination: client with or without identity against an
//! authenticating or an open server (PROTOCOL.md sections 1.1, 11.1, 11.3),
//! and the rejection of an unauthorized client.

mod common;

use common::*;
use ossuary_core::{
    CryptoError, Error, HandshakeError, HandshakeStatus, PublicKey, ResetReason, Role, SecretKey,
};

const DONE: Result<HandshakeStatus, Error> = Ok(HandshakeStatus::Done);

#[test]
fn client_identity_with_authenticating_server() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let mut p = Pair::new(
        client(Some(&cid), &[sid.public()]),
        server(Role::AuthenticatingServer, &sid, &[cid.public()]),
    );
    assert_eq!(p.drive_handshake(), (DONE, DONE));
    assert_eq!(p.server.remote_public_key(), Some(&cid.public()));
    assert_eq!(p.client.remote_public_key(), Some(&sid.public()));
    assert_eq!(p.client.local_public_key(), Some(cid.public()));
    assert_eq!(p.server.local_public_key(), Some(sid.public()));
    p.assert_data_flows();
}

#[test]
fn client_identity_with_open_server() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    // The open server authorizes nobody, yet accepts the verified identity.
    let mut p = Pair::new(
        client(Some(&cid), &[sid.public()]),
        server(Role::OpenServer, &sid, &[]),
    );
    assert_eq!(p.drive_handshake(), (DONE, DONE));
    assert_eq!(p.server.remote_public_key(), Some(&cid.public()));
    assert_eq!(p.client.remote_public_key(), Some(&sid.public()));
    p.assert_data_flows();
}

#[test]
fn anonymous_client_with_open_server() {
    let sid = Identity::generate();
    let mut p = Pair::new(
        client(None, &[sid.public()]),
        server(Role::OpenServer, &sid, &[]),
    );
    assert_eq!(p.drive_handshake(), (DONE, DONE));
    assert_eq!(p.server.remote_public_key(), None);
    assert_eq!(p.client.remote_public_key(), Some(&sid.public()));
    assert_eq!(p.client.local_public_key(), None);
    p.assert_data_flows();
}

#[test]
fn anonymous_client_with_authenticating_server_fails_before_client_auth() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let mut p = Pair::new(
        client(None, &[sid.public()]),
        server(Role::AuthenticatingServer, &sid, &[cid.public()]),
    );
    // CLIENT_HELLO out, SERVER_HELLO back.
    p.step();
    p.step();
    let required = Error::Handshake(HandshakeError::ClientIdentityRequired);
    assert_eq!(p.client_err, Some(required));
    assert_eq!(p.client.handshake_status(), Err(required));
    assert_eq!(p.client.remote_public_key(), None);

    // What the client sent after CLIENT_HELLO: only its plaintext RESET
    // (reason 4), never a CLIENT_AUTH.
    p.transmit(Side::Client);
    assert_eq!(p.c2s, plain_reset(ResetReason::CLIENT_NOT_AUTHORIZED));
    p.drive();
    assert_eq!(
        p.server.handshake_status(),
        Err(plain_reset_error(ResetReason::CLIENT_NOT_AUTHORIZED))
    );
    assert_eq!(p.server.remote_public_key(), None);
    // Sending data is refused on both sides.
    assert_eq!(p.client.send_data(b"x"), Err(required));
}

#[test]
fn unauthorized_client_is_rejected_and_reset() {
    let (cid, other, sid) = (
        Identity::generate(),
        Identity::generate(),
        Identity::generate(),
    );
    // A valid identity, but not the one on the server's list.
    let mut p = Pair::new(
        client(Some(&cid), &[sid.public()]),
        server(Role::AuthenticatingServer, &sid, &[other.public()]),
    );
    p.step(); // CLIENT_HELLO
    p.step(); // SERVER_HELLO; the client sends CLIENT_AUTH and is established
    assert_eq!(p.client.handshake_status(), DONE);
    assert_eq!(p.client.remote_public_key(), Some(&sid.public()));
    // Early data in the server-unconfirmed window.
    p.send(Side::Client, b"early data").unwrap();
    p.transmit(Side::Client);
    assert_eq!(frame_types(&p.c2s), [CLIENT_AUTH, DATA]);

    p.deliver(Side::Server);
    let unauthorized = Error::Handshake(HandshakeError::UnauthorizedClient(Some(cid.public())));
    assert_eq!(p.server_err, Some(unauthorized));
    assert_eq!(p.server.handshake_status(), Err(unauthorized));
    // The server can say whom it refused (issue 10, item 8).
    assert_eq!(p.server.remote_public_key(), Some(&cid.public()));
    assert!(p.server_rx.is_empty(), "no early data may be delivered");

    // The server has no traffic keys, so its RESET is plaintext.
    p.transmit(Side::Server);
    assert_eq!(p.s2c, plain_reset(ResetReason::CLIENT_NOT_AUTHORIZED));
    p.deliver(Side::Client);
    let reset = plain_reset_error(ResetReason::CLIENT_NOT_AUTHORIZED);
    assert_eq!(p.client_err, Some(reset));
    assert_eq!(p.client.handshake_status(), Err(reset));
    assert_eq!(p.client.send_data(b"more"), Err(reset));
}

#[test]
fn authenticating_server_with_empty_list_refuses_everyone() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let mut p = Pair::new(
        client(Some(&cid), &[sid.public()]),
        server(Role::AuthenticatingServer, &sid, &[]),
    );
    p.drive();
    assert_eq!(
        p.server_err,
        Some(Error::Handshake(HandshakeError::UnauthorizedClient(Some(
            cid.public()
        ))))
    );
    assert_eq!(
        p.client_err,
        Some(plain_reset_error(ResetReason::CLIENT_NOT_AUTHORIZED))
    );
}

#[test]
fn several_authorized_keys() {
    let ids: Vec<Identity> = (0..3).map(|_| Identity::generate()).collect();
    let keys: Vec<[u8; 32]> = ids.iter().map(|i| i.public().to_bytes()).collect();
    let sid = Identity::generate();
    for id in &ids {
        let mut s = server(Role::AuthenticatingServer, &sid, &[]);
        for k in &keys {
            s.add_authorized_key(PublicKey::try_from(&k[..]).unwrap())
                .unwrap();
        }
        let mut p = Pair::new(client(Some(id), &[sid.public()]), s);
        p.connect();
        assert_eq!(p.server.remote_public_key(), Some(&id.public()));
    }
}

#[test]
fn invalid_keys_are_refused() {
    // Keys are parsed once, before they reach a connection; wrong lengths
    // are refused there.
    for len in [0, 5, 31, 33] {
        let bytes = vec![1u8; len];
        assert_eq!(
            PublicKey::try_from(&bytes[..]).map(drop),
            Err(CryptoError::InvalidPublicKey),
            "{len}"
        );
        assert_eq!(
            SecretKey::try_from(&bytes[..]).map(drop),
            Err(CryptoError::InvalidSecretKey),
            "{len}"
        );
    }
    // Met by a connection, they are its InvalidKey.
    assert_eq!(
        Error::from(CryptoError::InvalidPublicKey),
        Error::InvalidKey
    );
    assert_eq!(
        Error::from(CryptoError::InvalidSecretKey),
        Error::InvalidKey
    );
    let good = Identity::generate().public();
    assert_eq!(PublicKey::try_from(&good.as_bytes()[..]), Ok(good));
}

#[test]
fn keys_cannot_change_once_the_handshake_started() {
    let sid = Identity::generate();
    let mut p = Pair::new(
        client(None, &[sid.public()]),
        server(Role::OpenServer, &sid, &[]),
    );
    // CLIENT_HELLO out, SERVER_HELLO back: each side has heard from its
    // peer, so neither may change its identity any more.
    p.step();
    p.step();
    assert_eq!(p.client.handshake_status(), Ok(HandshakeStatus::Done));
    let misuse = Error::ApiMisuse(ossuary_core::ApiMisuse::HandshakeStarted);
    let other = Identity::generate();
    assert_eq!(p.client.set_identity(other.signer()), Err(misuse));
    assert_eq!(p.server.set_identity(other.signer()), Err(misuse));
    assert_eq!(p.client.local_public_key(), None);
    // A caller mistake changes nothing.
    p.connect();
    assert_eq!(p.server.local_public_key(), Some(sid.public()));
    assert_eq!(p.client.remote_public_key(), Some(&sid.public()));
}

#[test]
fn nothing_before_the_handshake() {
    let mut c = client(None, &[]);
    assert_eq!(c.remote_public_key(), None);
    assert_eq!(c.handshake_status(), Ok(HandshakeStatus::InProgress));
    let misuse = Error::ApiMisuse(ossuary_core::ApiMisuse::HandshakeNotDone);
    let mut out = [0u8; 64];
    assert_eq!(c.send_data(b"x"), Err(misuse));
    assert_eq!(c.recv_data(b"x", &mut out), Err(misuse));
    assert_eq!(c.close(), Err(misuse));
    assert_eq!(c.update_keys(), Err(misuse));
    assert_eq!(c.role(), Role::Client);
}

/// `Connection::with_identity` and `add_authorized_key`, as a server that
/// loads its key and its client list once builds each connection.
#[test]
fn built_with_signer_and_prevalidated_keys() {
    use std::sync::Arc;

    use ossuary_core::{Config, Connection, generate_keypair};

    let (server_secret, server_public) = generate_keypair().unwrap();
    let (client_secret, client_public) = generate_keypair().unwrap();
    let (server_key, client_key) = (Arc::new(server_secret), Arc::new(client_secret));
    let (_, stranger) = generate_keypair().unwrap();
    for client_authorized in [true, false] {
        let mut server = Connection::with_identity(
            Role::AuthenticatingServer,
            Config::default(),
            Box::new(server_key.clone()),
        )
        .unwrap();
        assert_eq!(server.local_public_key(), Some(server_public));
        server.add_authorized_key(stranger).unwrap();
        if client_authorized {
            server.add_authorized_key(client_public).unwrap();
            server.add_authorized_key(client_public).unwrap(); // no duplicate harm
        }
        let mut client = Connection::with_identity(
            Role::Client,
            Config::default(),
            Box::new(client_key.clone()),
        )
        .unwrap();
        assert_eq!(client.local_public_key(), Some(client_public));
        client.add_authorized_key(server_public).unwrap();

        let mut p = Pair::new(client, server);
        if client_authorized {
            assert_eq!(p.drive_handshake(), (DONE, DONE));
            assert_eq!(p.server.remote_public_key(), Some(&client_public));
            assert_eq!(p.client.remote_public_key(), Some(&server_public));
            p.assert_data_flows();
        } else {
            p.drive();
            assert_eq!(
                p.server_err,
                Some(Error::Handshake(HandshakeError::UnauthorizedClient(Some(
                    client_public
                ))))
            );
        }
    }
    // Every connection dropped its handle to the shared key.
    assert_eq!(Arc::strong_count(&server_key), 1);
}

/// A client built with `with_identity` may still change its key until the
/// server's first byte arrives (its CLIENT_HELLO, queued at construction,
/// carries no identity), and not after; the key it ends with is the one
/// the server sees.
#[test]
fn with_identity_key_replaceable_until_the_peer_answers() {
    use ossuary_core::{ApiMisuse, Config, Connection, generate_keypair};

    let sid = Identity::generate();
    let (first, _) = generate_keypair().unwrap();
    let (second, second_public) = generate_keypair().unwrap();
    let mut client =
        Connection::with_identity(Role::Client, Config::default(), Box::new(first)).unwrap();
    client.set_identity(Box::new(second)).unwrap();
    assert_eq!(client.local_public_key(), Some(second_public));
    client.add_authorized_key(sid.public()).unwrap();
    let mut p = Pair::new(client, server(Role::OpenServer, &sid, &[]));
    // CLIENT_HELLO already went out: the identity may still change.
    p.transmit(Side::Client);
    assert_eq!(frame_types(&p.c2s), [CLIENT_HELLO]);
    let (third, third_public) = generate_keypair().unwrap();
    p.client.set_identity(Box::new(third)).unwrap();
    assert_eq!(p.client.local_public_key(), Some(third_public));
    // The server's first byte ends that.
    p.deliver(Side::Server);
    p.transmit(Side::Server);
    let server_hello = std::mem::take(&mut p.s2c);
    assert_eq!(p.client.recv_handshake(&server_hello[..1]), Ok(1));
    let (fourth, _) = generate_keypair().unwrap();
    assert_eq!(
        p.client.set_identity(Box::new(fourth)),
        Err(ApiMisuse::HandshakeStarted.into())
    );
    assert_eq!(p.client.local_public_key(), Some(third_public));
    assert_eq!(p.client.recv_handshake(&server_hello[1..]), Ok(1236));
    p.connect();
    assert_eq!(p.server.remote_public_key(), Some(&third_public));
}

// ------------------------------------------------------ issue 10 ----

/// Issue 10, item 7: an open server accepts any client, so giving it an
/// authorized key is a mistake the library names
/// (`NotAuthenticatingServer`) instead of silently ignoring; it changes
/// nothing and is not sticky.
#[test]
fn add_authorized_key_on_an_open_server_is_misuse() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let mut s = server(Role::OpenServer, &sid, &[]);
    assert_eq!(
        s.add_authorized_key(cid.public()),
        Err(Error::ApiMisuse(
            ossuary_core::ApiMisuse::NotAuthenticatingServer
        ))
    );
    assert_eq!(s.handshake_status(), Ok(HandshakeStatus::InProgress));
    // Still an open server: it serves an anonymous client.
    let mut p = Pair::new(client(None, &[sid.public()]), s);
    assert_eq!(p.drive_handshake(), (DONE, DONE));
    p.assert_data_flows();
    // Clients and authenticating servers take keys as before.
    let mut a = server(Role::AuthenticatingServer, &sid, &[]);
    assert_eq!(a.add_authorized_key(cid.public()), Ok(()));
    assert_eq!(client(None, &[]).add_authorized_key(sid.public()), Ok(()));
}

/// Issue 10, item 8: a server can say which client key it refused:
/// `remote_public_key()` names it after the failure (on b216206 it was
/// `None`), as does the error.
#[test]
fn server_names_the_client_key_it_refused() {
    let (cid, other, sid) = (
        Identity::generate(),
        Identity::generate(),
        Identity::generate(),
    );
    let mut p = Pair::new(
        client(Some(&cid), &[sid.public()]),
        server(Role::AuthenticatingServer, &sid, &[other.public()]),
    );
    p.drive();
    let refused = Error::Handshake(HandshakeError::UnauthorizedClient(Some(cid.public())));
    assert_eq!(p.server.handshake_status(), Err(refused));
    assert_eq!(p.server.remote_public_key(), Some(&cid.public()));
    assert_eq!(
        p.client.handshake_status(),
        Err(plain_reset_error(ResetReason::CLIENT_NOT_AUTHORIZED))
    );
}

/// Issue 10, item 10: a server's identity is an explicit input. Servers
/// built with `with_identity` from the same key, as the README builds one,
/// prove that key to every client, so a client that trusted it on first
/// use meets the same key on the next connection (on b216206 a server
/// built without an identity drew a new random key each time). The
/// compile-time half (no server constructor without an identity; an
/// anonymous client is `Connection::client`) cannot be a test in `tests/`.
#[test]
fn servers_built_from_the_same_key_prove_the_same_identity() {
    use std::sync::Arc;

    use ossuary_core::{Config, Connection, generate_keypair};

    let (secret, public) = generate_keypair().unwrap();
    let secret = Arc::new(secret);
    let mut first_seen = None;
    for _ in 0..3 {
        let server = Connection::with_identity(
            Role::OpenServer,
            Config::default(),
            Box::new(secret.clone()),
        )
        .unwrap();
        assert_eq!(server.local_public_key(), Some(public));
        let client = Connection::client(Config {
            trust_on_first_use: true,
            ..Config::default()
        })
        .unwrap();
        assert_eq!(client.local_public_key(), None);
        let mut p = Pair::new(client, server);
        let seen = p.drive_to_pause();
        assert_eq!(seen, public);
        assert_eq!(*first_seen.get_or_insert(seen), seen);
        p.client.trust_server().unwrap();
        p.connect();
        assert_eq!(p.client.remote_public_key(), Some(&public));
        assert_eq!(p.server.remote_public_key(), None, "anonymous client");
    }
}
