//! [`Raw`]: a peer driven by hand, a core `Connection` over a raw
//! transport, for tests that need to stop between any two bytes.

use std::time::Duration;

use ossuary_core::{Connection, HandshakeStatus};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::within;

/// How long any one step of a raw peer may take.
const STEP: Duration = Duration::from_secs(10);

/// A connection driven by hand over `io`.
pub(crate) struct Raw<IO> {
    pub(crate) conn: Connection,
    pub(crate) io: IO,
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Raw<IO> {
    pub(crate) fn new(conn: Connection, io: IO) -> Self {
        Self { conn, io }
    }

    /// Takes everything the connection has for the network, without
    /// sending it.
    pub(crate) fn take_output(&mut self) -> Vec<u8> {
        let out = self.conn.pending_output().to_vec();
        self.conn.advance_output(out.len());
        out
    }

    /// Sends everything the connection has for the network.
    pub(crate) async fn send(&mut self) {
        let out = self.take_output();
        within(STEP, "raw send", self.io.write_all(&out))
            .await
            .expect("raw write");
    }

    /// Reads one whole frame from the transport.
    pub(crate) async fn read_frame(&mut self) -> Vec<u8> {
        let mut frame = vec![0u8; 3];
        within(STEP, "raw frame header", self.io.read_exact(&mut frame))
            .await
            .expect("raw read");
        let len = usize::from(u16::from_be_bytes([frame[1], frame[2]]));
        frame.resize(3 + len, 0);
        within(STEP, "raw frame body", self.io.read_exact(&mut frame[3..]))
            .await
            .expect("raw read");
        frame
    }

    /// Runs the handshake to its end (or pause), sending and receiving.
    pub(crate) async fn handshake(&mut self) -> HandshakeStatus {
        let mut buf = vec![0u8; 4096];
        for _ in 0..64 {
            self.send().await;
            match self.conn.handshake_status().expect("raw handshake") {
                HandshakeStatus::InProgress => {}
                other => return other,
            }
            let n = within(STEP, "raw handshake read", self.io.read(&mut buf))
                .await
                .expect("raw read");
            assert!(n > 0, "the peer ended the transport during the handshake");
            let mut taken = 0;
            while taken < n {
                let used = self
                    .conn
                    .recv_handshake(&buf[taken..n])
                    .expect("raw handshake");
                if used == 0 {
                    break;
                }
                taken += used;
            }
            assert_eq!(
                taken, n,
                "records right after the handshake: not expected here"
            );
        }
        panic!("raw handshake did not finish in 64 steps");
    }

    /// Seals `data` and returns the records' bytes, without sending them.
    pub(crate) fn seal(&mut self, data: &[u8]) -> Vec<u8> {
        let mut taken = 0;
        let mut out = Vec::new();
        while taken < data.len() {
            taken += self.conn.send_data(&data[taken..]).expect("seal");
            out.extend(self.take_output());
        }
        out
    }
}
