//! The routes, one module per resource. Each module's `routes()` lists its paths; this
//! module merges them.

use axum::Router;

use crate::AppState;

pub mod attributes;
pub mod health;
pub mod permissions;
pub mod roles;
pub mod tenants;
pub mod user_batches;
pub mod users;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(health::routes())
        .merge(users::routes())
        .merge(user_batches::routes())
        .merge(tenants::routes())
        .merge(roles::routes())
        .merge(permissions::routes())
        .merge(attributes::routes())
}
