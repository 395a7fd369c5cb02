//! The error pages: an [`AppError`] answered as a page in words, with the request's reference.

use super::{log_internal, with_retry_after, AppError};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    // Every error page names the request, so that what a person quotes finds its log lines.
    let body = match crate::metrics::current_request_id() {
        Some(id) if !body.contains(&id) => {
            format!("{body} If you ask for help with this, quote reference {id}.")
        }
        _ => body.to_string(),
    };
    let html = crate::view::ErrorPage::new(title, &body).render_html();
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::response::Html(html),
    )
        .into_response()
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::SignIn { next } => {
                let target = if next == "/" || next.is_empty() {
                    "/login".to_string()
                } else {
                    format!(
                        "/login?next={}",
                        serde_urlencoded::to_string([("", &next)])
                            .unwrap_or_default()
                            .trim_start_matches('=')
                    )
                };
                Redirect::to(&target).into_response()
            }
            AppError::Forbidden => page(
                StatusCode::FORBIDDEN,
                "You do not have access to this page",
                "Your account does not have a role that allows this. If you need it, ask an administrator.",
            ),
            AppError::NotFound => page(
                StatusCode::NOT_FOUND,
                "Page not found",
                "If you typed the web address, check it is correct. If you followed a link, the record may have been removed.",
            ),
            AppError::BadRequest(m) => page(StatusCode::BAD_REQUEST, "There is a problem", &m),
            AppError::FormExpired => page(
                StatusCode::FORBIDDEN,
                "This form has expired",
                "For your security, forms stop working when you sign out or after a while. Go back, reload the page and try again. Nothing was saved.",
            ),
            AppError::Busy => with_retry_after(page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The service is busy",
                "The service is busy. Your request was not carried out; nothing was saved. Try again in a few seconds.",
            )),
            AppError::Stalled => page(
                StatusCode::REQUEST_TIMEOUT,
                "Your form did not arrive",
                "The connection stopped sending your form before all of it was received, so nothing was saved. Check your connection, then go back and send it again.",
            ),
            AppError::TimedOut => page(
                StatusCode::REQUEST_TIMEOUT,
                "This took too long",
                "The service stopped working on your request because it took too long. Anything it had not finished was not saved. Check what was saved before you try again.",
            ),
            AppError::Internal(detail) => {
                let id = log_internal(&detail);
                page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Sorry, there is a problem with the service",
                    &format!("Nothing was saved. Try again later. If it keeps happening, tell an administrator and quote reference {id}."),
                )
            }
        }
    }
}

pub fn panic_page(_err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    AppError::Internal("a request handler panicked".into()).into_response()
}
