//! A body read in full: the first bytes in memory, the rest in an anonymous temporary file, as
//! oxy's `multibuf` does. It can be replayed as many times as needed.

use std::io;

use bytes::Bytes;
use futures_util::{StreamExt as _, TryStreamExt as _};
use http_body::Frame;
use http_body_util::{BodyExt as _, StreamBody};
use tokio::io::AsyncWriteExt as _;

use crate::{Body, BoxError};

/// Why a body could not be spooled.
#[derive(Debug)]
pub(crate) enum SpoolError {
    /// Longer than the maximum.
    TooLarge,
    /// The body failed while being read.
    Body(BoxError),
    /// The temporary file failed.
    Io(io::Error),
}

/// A fully read body.
#[derive(Debug)]
pub(crate) struct Spool {
    memory: Vec<Bytes>,
    file: Option<tempfile::NamedTempFile>,
    len: u64,
}

impl Spool {
    /// Reads `body` to the end, keeping up to `mem_limit` bytes in memory and the rest on disk;
    /// more than `max` bytes (when set) is [`SpoolError::TooLarge`] and stops the reading there.
    pub(crate) async fn read(
        mut body: Body,
        mem_limit: u64,
        max: Option<u64>,
    ) -> Result<Spool, SpoolError> {
        let mut spool = Spool {
            memory: Vec::new(),
            file: None,
            len: 0,
        };
        let mut writer: Option<tokio::fs::File> = None;
        while let Some(frame) = body.frame().await {
            let Ok(data) = frame.map_err(SpoolError::Body)?.into_data() else {
                continue; // trailers are not kept
            };
            let len = data.len() as u64;
            if max.is_some_and(|max| spool.len + len > max) {
                return Err(SpoolError::TooLarge);
            }
            if writer.is_none() && spool.len + len <= mem_limit {
                spool.memory.push(data);
            } else {
                if writer.is_none() {
                    let file = tempfile::NamedTempFile::new().map_err(SpoolError::Io)?;
                    let handle = file.reopen().map_err(SpoolError::Io)?;
                    writer = Some(tokio::fs::File::from_std(handle));
                    spool.file = Some(file);
                }
                if let Some(w) = writer.as_mut() {
                    w.write_all(&data).await.map_err(SpoolError::Io)?;
                }
            }
            spool.len += len;
        }
        if let Some(mut w) = writer {
            w.flush().await.map_err(SpoolError::Io)?;
        }
        Ok(spool)
    }

    /// The body's length.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Whether part of the body went to disk.
    #[cfg(test)]
    pub(crate) fn on_disk(&self) -> bool {
        self.file.is_some()
    }

    /// A fresh body with the same bytes (an independent reader of the file, if any).
    pub(crate) fn body(&self) -> io::Result<Body> {
        if self.len == 0 {
            return Ok(Body::empty());
        }
        let memory =
            futures_util::stream::iter(self.memory.clone().into_iter().map(Ok::<_, io::Error>));
        let Some(file) = &self.file else {
            if self.memory.len() == 1 {
                return Ok(Body::from(self.memory[0].clone()));
            }
            return Ok(Body::new(StreamBody::new(memory.map_ok(Frame::data))));
        };
        let reader = tokio::fs::File::from_std(file.reopen()?);
        let rest = tokio_util::io::ReaderStream::new(reader);
        Ok(Body::new(StreamBody::new(
            memory.chain(rest).map_ok(Frame::data),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn bytes(b: Body) -> Vec<u8> {
        b.collect().await.unwrap().to_bytes().to_vec()
    }

    fn chunked(parts: &[&'static [u8]]) -> Body {
        let frames: Vec<Result<Frame<Bytes>, BoxError>> = parts
            .iter()
            .map(|p| Ok(Frame::data(Bytes::from_static(p))))
            .collect();
        Body::new(StreamBody::new(futures_util::stream::iter(frames)))
    }

    #[tokio::test]
    async fn small_bodies_stay_in_memory_large_ones_spill_and_replay() {
        let s = Spool::read(chunked(&[b"ab", b"cd"]), 10, None)
            .await
            .unwrap();
        assert!(!s.on_disk());
        assert_eq!(bytes(s.body().unwrap()).await, b"abcd");
        let s = Spool::read(chunked(&[b"abc", b"def", b"ghi"]), 4, Some(100))
            .await
            .unwrap();
        assert!(s.on_disk());
        assert_eq!(s.len(), 9);
        for _ in 0..3 {
            assert_eq!(bytes(s.body().unwrap()).await, b"abcdefghi");
        }
    }

    #[tokio::test]
    async fn too_large_stops_reading() {
        assert!(matches!(
            Spool::read(chunked(&[b"abc", b"def"]), 1, Some(5)).await,
            Err(SpoolError::TooLarge)
        ));
        assert!(
            Spool::read(chunked(&[b"abc", b"de"]), 1, Some(5))
                .await
                .is_ok()
        );
    }
}
