//! Response bodies too large to build in memory (open data, sitemap pages), made one piece at a time: each piece is
//! read with a pooled connection on the blocking pool (never on an HTTP worker, never through the page cache), and
//! the next is read only when the client has taken the last one, so a slow download holds no connection and a
//! million rows never sit in memory at once.

use actix_web::web::{self, Bytes};
use futures_util::Stream;

use super::error::AppError;
use crate::db::{DbConn, Pool};

/// What one step of a body produced.
pub enum Step<S> {
    /// These bytes, and the state to continue from.
    More(Vec<u8>, S),
    /// The last bytes.
    Last(Vec<u8>),
}

/// A body made by calling `next` with a connection and the state the previous step left, starting from `init`,
/// until it answers [`Step::Last`]. A failure ends the body early (the client sees a broken download, never a
/// complete-looking file) and is logged.
pub fn body<S, F>(
    pool: Pool,
    init: S,
    next: F,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + 'static
where
    S: Send + 'static,
    F: FnMut(&mut DbConn, S) -> Result<Step<S>, AppError> + Send + 'static,
{
    futures_util::stream::unfold(Some((init, next)), move |state| {
        let pool = pool.clone();
        async move {
            let (s, mut next) = state?;
            let done = web::block(move || {
                let step = match pool.get() {
                    Ok(mut conn) => next(&mut conn, s),
                    Err(e) => Err(AppError::from(e)),
                };
                (step, next)
            })
            .await;
            let failed = |what: String| {
                tracing::error!(error = %what, "streamed body stopped");
                Some((Err(std::io::Error::other(what)), None))
            };
            match done {
                Err(e) => failed(e.to_string()),
                Ok((Err(e), _)) => failed(e.to_string()),
                Ok((Ok(Step::More(bytes, s)), next)) => {
                    Some((Ok(Bytes::from(bytes)), Some((s, next))))
                }
                Ok((Ok(Step::Last(bytes)), _)) => Some((Ok(Bytes::from(bytes)), None)),
            }
        }
    })
}
