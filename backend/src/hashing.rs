//! A small dedicated pool of threads for argon2id. Each hash takes ~19 MiB and tens of
//! milliseconds of CPU; run on tokio's blocking pool, every new blocking thread would
//! keep its own allocator arena full of hash buffers (we measured 470 MB after a sign-in
//! burst). Two long-lived threads bound both the CPU a burst of sign-ins can take and the
//! memory it leaves behind.

use std::sync::{Arc, Mutex, OnceLock};

type Job = Box<dyn FnOnce() + Send>;

const THREADS: usize = 2;
const QUEUE: usize = 256;

fn queue() -> &'static tokio::sync::mpsc::Sender<Job> {
    static SENDER: OnceLock<tokio::sync::mpsc::Sender<Job>> = OnceLock::new();
    SENDER.get_or_init(|| {
        let (tx, rx) = tokio::sync::mpsc::channel::<Job>(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..THREADS {
            let rx = Arc::clone(&rx);
            let spawned = std::thread::Builder::new().name(format!("argon2-{i}")).spawn(move || {
                loop {
                    // Hold the lock only while taking a job, not while running it.
                    let job = match rx.lock() {
                        Ok(mut guard) => guard.blocking_recv(),
                        Err(_) => None,
                    };
                    match job {
                        Some(job) => job(),
                        None => break,
                    }
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password hashing thread");
            }
        }
        tx
    })
}

/// Runs `f` on the hashing threads and waits for its result without blocking the runtime.
/// `None` only if the pool is gone (it never shuts down while the process runs).
pub async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(f());
    });
    queue().send(job).await.ok()?;
    rx.await.ok()
}
