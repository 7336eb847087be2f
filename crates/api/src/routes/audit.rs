//! The audit trail as Descope users read it: `POST /v1/mgmt/audit/search` (newest
//! first, paged, within the retention) and `POST /v1/mgmt/audit/event` (an
//! application's own event). The records of Roster's own changes are written by the
//! stores, in the transaction of each change; nothing here writes them.

use axum::Json;
use axum::extract::State;
use axum::routing::post;
use roster_domain::time::Millis;
use roster_domain::{Error, ErrorCode};

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Body, Caller};
use crate::openapi::{Api, Op};
use crate::wire::audit::{AuditEventBody, AuditRecordDto, AuditSearchAnswer, AuditSearchBody};
use crate::wire::common::Empty;

pub fn api() -> Api {
    Api::new("Audit")
        .route(
            Op::post(
                "/v1/mgmt/audit/search",
                "Search the audit trail, newest first",
            )
            .body::<AuditSearchBody>()
            .answers::<AuditSearchAnswer>(),
            post(search),
        )
        .route(
            Op::post(
                "/v1/mgmt/audit/event",
                "Record an application's own audit event",
            )
            .body::<AuditEventBody>()
            .answers::<Empty>(),
            post(event),
        )
}

/// `POST /v1/mgmt/audit/search` → `{audits, total}`.
async fn search(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<AuditSearchBody>,
) -> ApiResult<Json<AuditSearchAnswer>> {
    let retention = i64::try_from(state.audit_retention().as_millis()).unwrap_or(i64::MAX);
    let oldest = Millis(state.now().0.saturating_sub(retention));
    let query = body.into_query()?.within(oldest);
    let (records, total) = state
        .store()
        .search_audit(&caller.project, &query, state.limits().search_timeout)
        .await?;
    Ok(Json(AuditSearchAnswer {
        audits: records
            .into_iter()
            .map(|r| AuditRecordDto::render(&caller.project, r))
            .collect(),
        total,
    }))
}

/// `POST /v1/mgmt/audit/event` → `{}`: `{action, type, actorId, tenantId, userId?,
/// data?}`.
async fn event(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<AuditEventBody>,
) -> ApiResult<Json<Empty>> {
    let origin = state.origin(&caller);
    if !origin.audited {
        return Err(Error::new(
            ErrorCode::NotSupported,
            "the audit trail is off on this server (--audit-retention-days 0): an event would be lost",
        )
        .into());
    }
    let record = body.into_event().record(&origin)?;
    state.store().record(&caller.project, &[record]).await?;
    Ok(Json(Empty {}))
}
