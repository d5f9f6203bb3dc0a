//! The single writer: one thread owns the write connection during a scan.

use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;

use anyhow::{Result, anyhow};

use super::{CheckOutcome, Store};
use crate::crawl::Page;

enum Msg {
    Check(Box<CheckOutcome>, mpsc::Sender<Result<()>>),
    Page(String, Box<Page>),
}

/// Handle to the writer thread. Dropping every clone and calling
/// [`Writer::finish`] flushes and stops it.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Msg>,
}

/// Owner of the writer thread, returned with the first handle.
pub struct WriterThread {
    handle: JoinHandle<Result<()>>,
}

impl Writer {
    /// Opens the database on a new thread that serialises every write.
    pub fn spawn(path: &Path) -> Result<(Writer, WriterThread)> {
        let mut store = Store::open(path)?;
        let (tx, rx) = mpsc::channel::<Msg>();
        let handle = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || {
                for msg in rx {
                    match msg {
                        Msg::Check(c, reply) => {
                            let _ = reply.send(store.commit_check(&c));
                        }
                        Msg::Page(url, page) => store.remember_page(&url, &page)?,
                    }
                }
                Ok(())
            })?;
        Ok((Writer { tx }, WriterThread { handle }))
    }

    /// Commits a finished check and waits until it is durable.
    pub async fn commit(&self, outcome: CheckOutcome) -> Result<()> {
        let (reply_tx, reply_rx) = mpsc::channel();
        self.tx
            .send(Msg::Check(Box::new(outcome), reply_tx))
            .map_err(|_| anyhow!("store writer stopped"))?;
        tokio::task::spawn_blocking(move || reply_rx.recv())
            .await?
            .map_err(|_| anyhow!("store writer stopped"))?
    }

    /// Stores a page's cache validators (fire and forget).
    pub fn remember_page(&self, url: &str, page: &Page) {
        let _ = self
            .tx
            .send(Msg::Page(url.to_string(), Box::new(page.clone())));
    }
}

impl WriterThread {
    /// Waits for every queued write to land.
    pub fn join(self) -> Result<()> {
        self.handle
            .join()
            .map_err(|_| anyhow!("store writer panicked"))?
    }
}
