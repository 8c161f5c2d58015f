//! Waiting as the protocol asks (§4): attempt first, wait up to `timeout`, `ETIMEDOUT` after
//! it; `timeout: 0` waits for nothing but one turn of the driver, then `EAGAIN`.

use crate::args::duration;
use crate::errors::{fail, io_fail, R};
use std::future::Future;
use std::io;

/// What a future did within the request's timeout.
pub(crate) enum Within<T> {
    Done(io::Result<T>),
    /// still pending when the time was up (`timeout: 0`: after one poll, one driver turn and
    /// one more poll)
    Pending,
}

/// Runs `fut` (a tokio operation) for at most `timeout` seconds.
///
/// `timeout: 0`: the future is polled once; if it is pending, the driver turns once
/// (`yield_now`, deferred by tokio until the I/O driver has been polled), and it is polled
/// once more. A socket created by this very request (a Unix connect that the kernel completed
/// at once) has then had its readiness delivered; anything still pending would block.
pub(crate) async fn within<T>(timeout: f64, fut: impl Future<Output = io::Result<T>>) -> Within<T> {
    let mut fut = std::pin::pin!(fut);
    if timeout == 0.0 {
        tokio::select! {
            biased;
            r = &mut fut => return Within::Done(r),
            _ = std::future::ready(()) => {}
        }
        tokio::task::yield_now().await;
        tokio::select! {
            biased;
            r = &mut fut => Within::Done(r),
            _ = std::future::ready(()) => Within::Pending,
        }
    } else {
        match tokio::time::timeout(duration(timeout), fut).await {
            Ok(r) => Within::Done(r),
            Err(_) => Within::Pending,
        }
    }
}

/// `within`, with the protocol's answers: the library's error, `EAGAIN` (`timeout: 0`) or
/// `ETIMEDOUT`.
pub(crate) async fn waiting<T>(
    timeout: f64,
    context: &str,
    fut: impl Future<Output = io::Result<T>>,
) -> R<T> {
    match within(timeout, fut).await {
        Within::Done(r) => r.map_err(|e| io_fail(e, context)),
        Within::Pending if timeout == 0.0 => Err(fail(
            "EAGAIN",
            format!("{context}: would block (timeout 0)"),
        )),
        Within::Pending => Err(fail(
            "ETIMEDOUT",
            format!("{context}: timed out after {timeout} s"),
        )),
    }
}
