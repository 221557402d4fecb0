//! Writes that many running jobs make at once, coalesced: whatever is handed
//! over while one batch is being written goes into the next, in one
//! transaction, instead of one transaction each.

use redress_core::store::StoreError;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most items written in one transaction.
const PER_BATCH: usize = 256;

/// A write in progress.
pub(crate) type Writing = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), StoreError>> + Send>>;
type Write<T> = Arc<dyn Fn(Vec<T>) -> Writing + Send + Sync>;

/// Hands items to the task that writes them in batches.
pub(crate) struct Batcher<T>(mpsc::Sender<(T, oneshot::Sender<Result<(), String>>)>);

impl<T> Clone for Batcher<T> {
    fn clone(&self) -> Self {
        Batcher(self.0.clone())
    }
}

impl<T: Clone + Send + 'static> Batcher<T> {
    /// Starts the task that writes batches with `write`. Should a batch
    /// fail, each of its items is written on its own, so one that cannot be
    /// written holds back no other. The task ends once every `Batcher` is
    /// dropped and what was handed over is written. `what` and `key` name an
    /// item in the log.
    pub(crate) fn start(
        write: impl Fn(Vec<T>) -> Writing + Send + Sync + 'static,
        what: &'static str,
        key: fn(&T) -> i64,
    ) -> (Batcher<T>, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(PER_BATCH);
        (Batcher(tx), tokio::spawn(write_batches(Arc::new(write), rx, what, key)))
    }

    /// Hands over `item` and waits until it is written, or answers why not.
    pub(crate) async fn write(&self, item: T) -> Result<(), String> {
        let (done, written) = oneshot::channel();
        self.0.send((item, done)).await.map_err(|_| "the batch writer has stopped".to_string())?;
        written.await.map_err(|_| "the batch writer has stopped".to_string())?
    }
}

async fn write_batches<T: Clone + Send + 'static>(
    write: Write<T>,
    mut rx: mpsc::Receiver<(T, oneshot::Sender<Result<(), String>>)>,
    what: &'static str,
    key: fn(&T) -> i64,
) {
    let mut batch = Vec::with_capacity(PER_BATCH);
    while rx.recv_many(&mut batch, PER_BATCH).await > 0 {
        let (items, replies): (Vec<T>, Vec<_>) = batch.drain(..).unzip();
        let keys: Vec<i64> = items.iter().map(key).collect();
        let answers: Vec<Result<(), String>> = match write(items.clone()).await {
            Ok(()) => vec![Ok(()); items.len()],
            Err(e) if items.len() == 1 => vec![Err(e.to_string())],
            Err(_) => {
                let mut answers = Vec::with_capacity(items.len());
                for item in items {
                    answers.push(write(vec![item]).await.map_err(|e| e.to_string()));
                }
                answers
            }
        };
        for ((reply, answer), id) in replies.into_iter().zip(answers).zip(keys) {
            if let Err(e) = &answer {
                tracing::error!(what, id, error = %e, "a batched write failed");
            }
            let _ = reply.send(answer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Items handed over together are written together; when a batch fails,
    /// each item is written alone, so only the one that cannot be written
    /// is refused.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_item_is_refused_alone() {
        let calls: Arc<Mutex<Vec<Vec<i64>>>> = Arc::default();
        let seen = calls.clone();
        let (batcher, task) = Batcher::start(
            move |batch: Vec<i64>| {
                seen.lock().unwrap().push(batch.clone());
                Box::pin(async move {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    if batch.contains(&13) {
                        Err(StoreError::Backend("item 13 cannot be written".into()))
                    } else {
                        Ok(())
                    }
                })
            },
            "a test item",
            |n: &i64| *n,
        );
        let mut handing = tokio::task::JoinSet::new();
        for n in 0..40 {
            let batcher = batcher.clone();
            handing.spawn(async move { (n, batcher.write(n).await) });
        }
        let mut answers = Vec::new();
        while let Some(answer) = handing.join_next().await {
            answers.push(answer.unwrap());
        }
        drop(batcher);
        task.await.unwrap();
        for (n, answer) in &answers {
            match answer {
                Err(e) => assert!(*n == 13 && e.contains("cannot be written"), "{n}: {e}"),
                Ok(()) => assert_ne!(*n, 13),
            }
        }
        let calls = calls.lock().unwrap();
        let batches = calls.iter().filter(|b| b.len() > 1).count();
        assert!(batches >= 1, "items handed over together were written together: {calls:?}");
        let written: usize = calls.iter().filter(|b| !b.contains(&13)).map(Vec::len).sum();
        assert_eq!(written, 39, "every other item was written once: {calls:?}");
    }
}
