//! An active attacker between two real endpoints (issue 4, "Adversarial
//! peer tests"): identities substituted with valid signatures, signatures
//! over other transcripts, SERVER_HELLO flags rewritten and re-sealed,
//! malleated Ed25519 signatures and weak identity keys.
//!
//! The attacker is [`Adversary`] (`adversary/harness.rs`): it owns the two
//! byte queues, parses every frame, and can drop, replay, reorder, rewrite,
//! reflect, inject, or splice frames from other sessions. Each test asserts
//! the specific rejection: the exact error on the side that must detect it,
//! that no plaintext was delivered, that the other side did not end
//! established with the attacker, and which RESET went out (PROTOCOL.md
//! §10.1, §11). The other adversary files: `adversary_replay.rs`,
//! `adversary_identity.rs`, `adversary_framing.rs`, `adversary_records.rs`.
//!
//! These attacks need handshake cryptography (a malicious peer sealing its
//! own messages, or a control showing that only the seal stopped an
//! attack), built by hand in `adversary/forge.rs`, and endpoints whose
//! ephemeral secrets the test knows: fixed randomness, so this file needs
//! the `hazmat` feature.

mod common;
#[path = "adversary/forge.rs"]
mod forge;
#[path = "adversary/harness.rs"]
mod harness;
#[path = "adversary/helpers.rs"]
mod helpers;

use common::*;
use forge::*;
use harness::{Adversary, ResetFrame};
use helpers::*;
use ossuary_core::{
    Config, Connection, Error, HandshakeError, HandshakeStatus, PeerMisbehaved, PublicKey,
    ResetReason, Role,
};

// ---------------------------------------------------- fixed randomness ----

const fn fill<const N: usize>(seed: u8) -> [u8; N] {
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = seed.wrapping_add((i as u8).wrapping_mul(29)) ^ 0x36;
        i += 1;
    }
    out
}

/// A fixed-entropy client's randomness: `e_c_sk`, `random_c`, then the
/// ML-KEM seed `d || z`.
const CLIENT_RNG: [u8; 128] = fill(0x11);
/// Mallory's client randomness.
const MALLORY_RNG: [u8; 128] = fill(0x22);
/// Mallory's randomness when she plays a server: `e_s_sk`, then ML-KEM `m`.
const MALLORY_E: [u8; 64] = fill(0x33);

/// The ephemeral secrets in a client's randomness (all of it).
fn e_sk(rng: &[u8; 128]) -> [u8; 128] {
    *rng
}

/// A client whose handshake randomness is `rng` (so the test knows its
/// ephemeral secret), with an optional identity, trusting `trusted`.
fn fixed_client(identity: Option<&Identity>, trusted: &[PublicKey], rng: &[u8; 128]) -> Connection {
    let signer = identity.map(Identity::signer);
    let mut c = fixed_connection(Role::Client, Config::default(), signer, rng.to_vec());
    configure(&mut c, identity, trusted);
    c
}

/// A server whose handshake randomness is `e_s_sk` (`e_s_sk || m`).
fn fixed_server(
    role: Role,
    identity: &Identity,
    authorized: &[PublicKey],
    e_s_sk: &[u8; 64],
) -> Connection {
    let signer = Some(identity.signer());
    let mut s = fixed_connection(role, Config::default(), signer, e_s_sk.to_vec());
    configure(&mut s, Some(identity), authorized);
    s
}

// ------------------------------------------------ identity substitution ----

#[test]
fn attacker_identity_with_a_valid_signature_in_server_hello() {
    let (cid, sid, mallory) = (
        Identity::generate(),
        Identity::generate(),
        Identity::generate(),
    );
    let mut adv = Adversary::mutual(&cid, &sid);
    adv.capture(Side::Client);
    let hello = adv.take(Side::Client);
    // Mallory answers with her own identity, validly signed over this very
    // transcript, and sealed under keys she shares with the client.
    let mut mallory_server = server(Role::OpenServer, &mallory, &[]);
    assert_eq!(mallory_server.recv_handshake(&hello), Ok(1253));
    let mut answer = Vec::new();
    move_output(&mut mallory_server, &mut answer);
    adv.inject(Side::Client, &answer);
    // It verifies, but it is not the pinned key: the client refuses it at
    // once (issue 10, item 5; it used to pause for the application) and
    // sends no CLIENT_AUTH, so its identity is not revealed to her.
    let changed = Error::ServerKeyChanged {
        expected: sid.public(),
        got: mallory.public(),
    };
    assert_eq!(adv.conn(Side::Client).handshake_status(), Err(changed));
    adv.assert_rejected(
        Side::Client,
        changed,
        ResetFrame::Plain(ResetReason::SERVER_NOT_TRUSTED),
    );
    assert_eq!(adv.held_types(Side::Client), [RESET], "no CLIENT_AUTH");
    // Mallory's server never receives a CLIENT_AUTH.
    adv.forward_all(Side::Client);
    assert_eq!(
        mallory_server.handshake_status(),
        Ok(HandshakeStatus::InProgress)
    );
    assert_eq!(mallory_server.remote_public_key(), None);
}

/// Mallory, herself an authorized client of the server, relays an honest
/// client's CLIENT_HELLO and SERVER_HELLO, then replaces its CLIENT_AUTH with
/// one naming her identity, validly signed over this session's THc (which is
/// public), sealed under `sealer`'s handshake key. She wants the server to
/// bind the honest client's session to her (identity misbinding, §13.2).
fn claim_the_session(sealer: Knows) -> (Adversary, Identity) {
    let (cid, sid, mallory) = (
        Identity::generate(),
        Identity::generate(),
        Identity::generate(),
    );
    let mut adv = Adversary::new(
        fixed_client(Some(&cid), &[sid.public()], &CLIENT_RNG),
        server(
            Role::AuthenticatingServer,
            &sid,
            &[cid.public(), mallory.public()],
        ),
    );
    to_client_auth(&mut adv);
    adv.take(Side::Client);
    let (ch, sh) = (
        adv.log(Side::Client)[0].clone(),
        adv.log(Side::Server)[0].clone(),
    );
    let m_id = mallory.public().to_bytes();
    let sig = sign(
        mallory.secret_bytes(),
        &signed_message(CLIENT_LABEL, &th_c(&ch, &sh, &m_id)),
    );
    let auth = sealer.seal_client_auth(&ch, &sh, &identity_plaintext(&m_id, &sig));
    adv.inject(Side::Server, &auth);
    (adv, mallory)
}

#[test]
fn attacker_identity_with_a_valid_signature_in_client_auth() {
    // Without the session's DH she can only seal with a key of her own.
    let (mut adv, _) = claim_the_session(Knows::Client(e_sk(&MALLORY_RNG)));
    adv.assert_rejected(Side::Server, DECRYPT_FAILED, PLAIN_3);
    assert_no_remote(&adv, Side::Server);
    adv.assert_peer_learns(Side::Server, ResetReason::HANDSHAKE_FAILURE);

    // Control: with the client's ephemeral secret the very same message is
    // accepted, so the seal (SIGMA's MAC) is all that stopped her.
    let (adv, mallory) = claim_the_session(Knows::Client(e_sk(&CLIENT_RNG)));
    assert_eq!(adv.err(Side::Server), None);
    assert_eq!(
        adv.conn(Side::Server).remote_public_key(),
        Some(&mallory.public())
    );
}

#[test]
fn honest_server_key_with_a_bad_signature() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let s_id = sid.public().to_bytes();
    // A genuine sig_s over another transcript: Mallory's own session with
    // the real server, whose SERVER_HELLO she can open.
    let elsewhere: [u8; 64] = {
        let mut m = Adversary::new(
            fixed_client(None, &[sid.public()], &MALLORY_RNG),
            server(Role::OpenServer, &sid, &[]),
        );
        m.capture(Side::Client);
        m.forward(Side::Client);
        m.capture(Side::Server);
        let plain = Knows::Client(e_sk(&MALLORY_RNG))
            .open_server_hello(&m.log(Side::Client)[0], &m.log(Side::Server)[0]);
        assert_eq!(plain[..32], s_id);
        plain[32..].try_into().unwrap()
    };
    // Mallory answers the victim's CLIENT_HELLO herself: her ephemeral key,
    // the real S_id, and `signature` for the given THs.
    let attempt = |signature: &dyn Fn(&[u8; 32]) -> [u8; 64]| {
        let mut adv = Adversary::mutual(&cid, &sid);
        adv.capture(Side::Client);
        let ch = adv.take(Side::Client);
        let mut clear = vec![SERVER_HELLO, 0x04, 0xd2, 0x01, 0x01];
        clear.extend_from_slice(&x25519_public(MALLORY_E[..32].try_into().unwrap()));
        clear.extend_from_slice(&Knows::Server(MALLORY_E).kem_ciphertext(&ch));
        let ths = transcript_hash(&[&ch, &clear, &s_id]);
        let mut plain = [0u8; 96];
        plain[..32].copy_from_slice(&s_id);
        plain[32..].copy_from_slice(&signature(&ths));
        let forged = Knows::Server(MALLORY_E).seal_server_hello(&ch, &clear, &plain);
        adv.inject(Side::Client, &forged);
        adv
    };
    for sig in [[0x5a; 64], elsewhere] {
        let mut adv = attempt(&|_| sig);
        adv.assert_rejected(Side::Client, BAD_SERVER_SIG, PLAIN_3);
        assert_eq!(adv.held_types(Side::Client), [RESET], "no CLIENT_AUTH");
        assert_no_remote(&adv, Side::Client);
    }
    // Control: the server's signature over this transcript would pass;
    // Mallory lacks only the server's key.
    let adv = attempt(&|ths| sign(sid.secret_bytes(), &signed_message(SERVER_LABEL, ths)));
    assert_eq!(
        adv.conn(Side::Client).handshake_status(),
        Ok(HandshakeStatus::Done)
    );
}

#[test]
fn honest_client_key_with_a_bad_signature() {
    let (cid, sid, mallory) = (
        Identity::generate(),
        Identity::generate(),
        Identity::generate(),
    );
    let c_id = cid.public().to_bytes();
    // A genuine sig_c over another transcript: the honest client also uses
    // Mallory's service, and she opens the CLIENT_AUTH it sends her.
    let elsewhere = {
        let mut m = Adversary::new(
            client(Some(&cid), &[mallory.public()]),
            fixed_server(Role::OpenServer, &mallory, &[], &MALLORY_E),
        );
        m.connect();
        let log = m.log(Side::Client);
        let plain =
            Knows::Server(MALLORY_E).open_client_auth(&log[0], &m.log(Side::Server)[0], &log[1]);
        assert_eq!(plain[1..33], c_id);
        signature_of(&plain)
    };
    // Mallory connects to the real server as a client claiming C_id, with
    // `signature` for the given THc, sealed under her own session's key.
    let attempt = |signature: &dyn Fn(&[u8; 32]) -> [u8; 64]| {
        let mut adv = Adversary::new(
            fixed_client(None, &[sid.public()], &MALLORY_RNG),
            server(Role::AuthenticatingServer, &sid, &[cid.public()]),
        );
        adv.capture(Side::Client);
        adv.forward(Side::Client);
        adv.capture(Side::Server);
        let sh = adv.take(Side::Server);
        let ch = adv.log(Side::Client)[0].clone();
        let plain = identity_plaintext(&c_id, &signature(&th_c(&ch, &sh, &c_id)));
        let auth = Knows::Client(e_sk(&MALLORY_RNG)).seal_client_auth(&ch, &sh, &plain);
        adv.inject(Side::Server, &auth);
        adv
    };
    for sig in [[0xa5; 64], elsewhere] {
        let mut adv = attempt(&|_| sig);
        adv.assert_rejected(Side::Server, BAD_CLIENT_SIG, PLAIN_3);
        assert_no_remote(&adv, Side::Server);
    }
    // Control: the client's signature over this transcript would pass.
    let adv = attempt(&|thc| sign(cid.secret_bytes(), &signed_message(CLIENT_LABEL, thc)));
    assert_eq!(
        adv.conn(Side::Server).handshake_status(),
        Ok(HandshakeStatus::Done)
    );
    assert_eq!(
        adv.conn(Side::Server).remote_public_key(),
        Some(&cid.public())
    );
}

/// Rewrites the SERVER_HELLO flags byte to `flags`, first in transit (the
/// AEAD fails: the flags are in TH2, the AD and the context of `s_hs_key`),
/// then as an attacker who knows the session's DH and re-seals (the
/// signature fails: the flags are in THs). A control re-seals the original
/// flags and gets `control`.
fn rewrite_server_flags(
    role: Role,
    client_id: Option<&Identity>,
    flags: u8,
    control: Result<HandshakeStatus, Error>,
) {
    let sid = Identity::generate();
    let authorized: Vec<PublicKey> = client_id.iter().map(|c| c.public()).collect();
    let session = || {
        Adversary::new(
            fixed_client(client_id, &[sid.public()], &CLIENT_RNG),
            server(role, &sid, &authorized),
        )
    };
    let mut adv = session();
    adv.capture(Side::Client);
    adv.forward(Side::Client);
    adv.capture(Side::Server);
    let (ch, original) = (adv.log(Side::Client)[0].clone(), adv.take(Side::Server));
    assert_ne!(original[4], flags);
    let mut clear = original[..M2_CLEAR].to_vec();
    clear[4] = flags;

    adv.inject(Side::Client, &[&clear[..], &original[M2_CLEAR..]].concat());
    adv.assert_rejected(Side::Client, DECRYPT_FAILED, PLAIN_3);
    assert_eq!(adv.held_types(Side::Client), [RESET], "no CLIENT_AUTH");
    adv.assert_peer_learns(Side::Client, ResetReason::HANDSHAKE_FAILURE);

    // The same client randomness in a new session: the same CLIENT_HELLO.
    let knows = Knows::Client(e_sk(&CLIENT_RNG));
    let plain = knows.open_server_hello(&ch, &original);
    let replay_to = || {
        let mut victim = session();
        victim.capture(Side::Client);
        assert_eq!(victim.take(Side::Client), ch);
        victim
    };
    let mut victim = replay_to();
    victim.inject(Side::Client, &knows.seal_server_hello(&ch, &clear, &plain));
    victim.assert_rejected(Side::Client, BAD_SERVER_SIG, PLAIN_3);
    assert_no_remote(&victim, Side::Client);

    let mut victim = replay_to();
    victim.inject(
        Side::Client,
        &knows.seal_server_hello(&ch, &original[..M2_CLEAR], &plain),
    );
    assert_eq!(victim.conn(Side::Client).handshake_status(), control);
}

#[test]
fn client_auth_required_cleared_in_server_hello() {
    // An authenticating server made to look open, to an identified client
    // and to an anonymous one (which would then go on anonymously).
    let cid = Identity::generate();
    rewrite_server_flags(
        Role::AuthenticatingServer,
        Some(&cid),
        0x00,
        Ok(HandshakeStatus::Done),
    );
    rewrite_server_flags(
        Role::AuthenticatingServer,
        None,
        0x00,
        Err(Error::Handshake(HandshakeError::ClientIdentityRequired)),
    );
}

#[test]
fn client_auth_required_set_in_server_hello() {
    // An open server made to look authenticating, to turn away a client
    // without an identity: it fails with reason 3, not a misleading 4.
    rewrite_server_flags(Role::OpenServer, None, 0x01, Ok(HandshakeStatus::Done));
}

// ------------------------------------------------- Ed25519 malleation ----

#[test]
fn hand_built_ed25519_matches_the_library() {
    // The hand-written SHA-512 and mod-L arithmetic in forge.rs, against a
    // FIPS 180-4 example (one block and two blocks)...
    assert_eq!(
        sha512(&[b"abc"]).to_vec(),
        hex(
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        )
    );
    assert_eq!(
        sha512(&[
            b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn",
            b"hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
        ])
        .to_vec(),
        hex(
            "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018\
             501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"
        )
    );
    // ...and against the library's signatures: recomputing S from R with
    // them gives the library's S, so `small_order_r_signature` computes
    // S = k·a correctly and only strictness rejects it.
    let id = Identity::generate();
    for msg in [&b""[..], b"abc", &[0xa5; 300]] {
        let sig = sign(id.secret_bytes(), msg);
        assert_eq!(recompute_s(id.secret_bytes(), msg, &sig[..32]), sig[32..]);
    }
}

/// Lets the real server answer a fixed-entropy client, then re-seals the
/// SERVER_HELLO with its plaintext `S_id || sig_s` changed by
/// `edit(server identity, THs, plaintext)`: what a malicious server, or
/// anyone holding the session's DH, could send.
fn tampered_server_hello(edit: impl FnOnce(&Identity, &[u8; 32], &mut [u8; 96])) -> Adversary {
    let sid = Identity::generate();
    let mut adv = Adversary::new(
        fixed_client(None, &[sid.public()], &CLIENT_RNG),
        server(Role::OpenServer, &sid, &[]),
    );
    adv.capture(Side::Client);
    adv.forward(Side::Client);
    adv.capture(Side::Server);
    let (ch, sh) = (adv.log(Side::Client)[0].clone(), adv.take(Side::Server));
    let knows = Knows::Client(e_sk(&CLIENT_RNG));
    let mut plain = knows.open_server_hello(&ch, &sh);
    edit(&sid, &th_s(&ch, &sh, &sid.public().to_bytes()), &mut plain);
    adv.inject(
        Side::Client,
        &knows.seal_server_hello(&ch, &sh[..M2_CLEAR], &plain),
    );
    adv
}

/// As [`tampered_server_hello`], for the plaintext `0x01 || C_id || sig_c`
/// of an IDENTITY CLIENT_AUTH, fed to a server of `role`.
fn tampered_client_auth(
    role: Role,
    edit: impl FnOnce(&Identity, &[u8; 32], &mut Vec<u8>),
) -> Adversary {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    // An open server has no authorized keys (adding one is a misuse).
    let authorized = match role {
        Role::AuthenticatingServer => vec![cid.public()],
        _ => vec![],
    };
    let mut adv = Adversary::new(
        fixed_client(Some(&cid), &[sid.public()], &CLIENT_RNG),
        server(role, &sid, &authorized),
    );
    to_client_auth(&mut adv);
    let ca = adv.take(Side::Client);
    let (ch, sh) = (
        adv.log(Side::Client)[0].clone(),
        adv.log(Side::Server)[0].clone(),
    );
    let knows = Knows::Client(e_sk(&CLIENT_RNG));
    let mut plain = knows.open_client_auth(&ch, &sh, &ca);
    assert_eq!(plain.len(), 97);
    edit(&cid, &th_c(&ch, &sh, &cid.public().to_bytes()), &mut plain);
    adv.inject(Side::Server, &knows.seal_client_auth(&ch, &sh, &plain));
    adv
}

/// [`tampered_server_hello`] replacing `sig_s` by `malleate(key, sig_s, THs)`.
fn malleated_server_signature(
    malleate: impl Fn(&Identity, [u8; 64], &[u8; 32]) -> [u8; 64],
) -> Adversary {
    tampered_server_hello(|sid, ths, plain| {
        let sig = malleate(sid, plain[32..].try_into().unwrap(), ths);
        plain[32..].copy_from_slice(&sig);
    })
}

/// [`tampered_client_auth`] (authenticating server) replacing `sig_c` by
/// `malleate(key, sig_c, THc)`.
fn malleated_client_signature(
    malleate: impl Fn(&Identity, [u8; 64], &[u8; 32]) -> [u8; 64],
) -> Adversary {
    tampered_client_auth(Role::AuthenticatingServer, |cid, thc, plain| {
        let sig = malleate(cid, signature_of(plain), thc);
        plain[33..97].copy_from_slice(&sig);
    })
}

fn assert_server_signature_refused(mut adv: Adversary) {
    adv.assert_rejected(Side::Client, BAD_SERVER_SIG, PLAIN_3);
    assert_eq!(adv.held_types(Side::Client), [RESET], "no CLIENT_AUTH");
    assert_no_remote(&adv, Side::Client);
    adv.assert_peer_learns(Side::Client, ResetReason::HANDSHAKE_FAILURE);
}

fn assert_client_signature_refused(mut adv: Adversary) {
    adv.assert_rejected(Side::Server, BAD_CLIENT_SIG, PLAIN_3);
    assert_no_remote(&adv, Side::Server);
    adv.assert_peer_learns(Side::Server, ResetReason::HANDSHAKE_FAILURE);
}

#[test]
fn server_signature_with_non_canonical_s() {
    assert_server_signature_refused(malleated_server_signature(|_, sig, _| {
        add_group_order_to_s(&sig)
    }));
    // Control: re-sealed unchanged, it is accepted.
    let adv = malleated_server_signature(|_, sig, _| sig);
    assert_eq!(
        adv.conn(Side::Client).handshake_status(),
        Ok(HandshakeStatus::Done)
    );
}

#[test]
fn server_signature_with_small_order_r() {
    assert_server_signature_refused(malleated_server_signature(|sid, _, ths| {
        small_order_r_signature(sid.secret_bytes(), &signed_message(SERVER_LABEL, ths))
    }));
}

#[test]
fn client_signature_with_non_canonical_s() {
    assert_client_signature_refused(malleated_client_signature(|_, sig, _| {
        add_group_order_to_s(&sig)
    }));
    let adv = malleated_client_signature(|_, sig, _| sig);
    assert_eq!(
        adv.conn(Side::Server).handshake_status(),
        Ok(HandshakeStatus::Done)
    );
}

#[test]
fn client_signature_with_small_order_r() {
    assert_client_signature_refused(malleated_client_signature(|cid, _, thc| {
        small_order_r_signature(cid.secret_bytes(), &signed_message(CLIENT_LABEL, thc))
    }));
}

#[test]
fn weak_identity_keys_are_refused() {
    // Small-order Ed25519 keys: under the neutral point, (R = neutral,
    // S = 0) satisfies the cofactorless equation for every message, with no
    // secret at all (PROTOCOL.md §5.3 rule 1, §13.8). The open server would
    // accept any verified identity, so only the key check stands in the way.
    let invalid_key = misbehaved(PeerMisbehaved::InvalidIdentityKey);
    let mut universal = [0u8; 64];
    universal[0] = 1;
    for weak in [
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ] {
        let weak: [u8; 32] = hex(weak).try_into().unwrap();
        let mut adv = tampered_server_hello(|_, _, plain| {
            plain[..32].copy_from_slice(&weak);
            plain[32..].copy_from_slice(&universal);
        });
        adv.assert_rejected(Side::Client, invalid_key, PLAIN_3);
        assert_eq!(adv.held_types(Side::Client), [RESET], "no CLIENT_AUTH");
        assert_no_remote(&adv, Side::Client);

        let mut adv = tampered_client_auth(Role::OpenServer, |_, _, plain| {
            plain[1..33].copy_from_slice(&weak);
            plain[33..97].copy_from_slice(&universal);
        });
        adv.assert_rejected(Side::Server, invalid_key, PLAIN_3);
        assert_no_remote(&adv, Side::Server);
        adv.assert_peer_learns(Side::Server, ResetReason::HANDSHAKE_FAILURE);
    }
}
