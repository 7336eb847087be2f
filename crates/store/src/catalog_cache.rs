//! Catalogs kept between requests, each under the version its project had when it was
//! read.
//!
//! Every request that shows a user needs its project's catalog (roles and their
//! permissions, tenants, attribute definitions), and catalogs change seldom. Each
//! backend gives a project a new `catalog_version` in the transaction of every change
//! of its catalog (triggers, in each backend's migrations), and never gives a version
//! twice. So a store reads the one number, and if it is the version a kept catalog was
//! read at, the kept catalog is the project's catalog: no other read of it is needed,
//! on this node or any other sharing the database. Otherwise the store reads the
//! catalog and its version in one statement (one snapshot) and keeps them
//! ([`CatalogCache::keep`]).
//!
//! Entries are only ever compared for equality, never ordered, so two reads racing to
//! keep different versions are both right: whichever stays is checked on the next use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use roster_domain::catalog::Catalog;
use roster_domain::ids::ProjectId;

/// Projects kept at most; past it the cache starts again empty (a server with more
/// projects than this reads some catalogs twice, never a wrong one).
const MAX_PROJECTS: usize = 4096;

/// A project's catalog, kept with the version it was read at.
#[derive(Debug, Default)]
pub struct CatalogCache {
    kept: Mutex<HashMap<ProjectId, (i64, Arc<Catalog>)>>,
}

impl CatalogCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The catalog kept for `project`, if it was read at `version`.
    pub fn get(&self, project: &ProjectId, version: i64) -> Option<Arc<Catalog>> {
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        match kept.get(project) {
            Some((v, catalog)) if *v == version => Some(catalog.clone()),
            _ => None,
        }
    }

    /// Keep `catalog`, read at `version` (in the same snapshot), for `project`. A
    /// project with no version (none such) has an empty catalog, kept nowhere.
    pub fn keep(
        &self,
        project: &ProjectId,
        version: Option<i64>,
        catalog: Catalog,
    ) -> Arc<Catalog> {
        let catalog = Arc::new(catalog);
        let Some(version) = version else {
            return catalog;
        };
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.len() >= MAX_PROJECTS && !kept.contains_key(project) {
            kept.clear();
        }
        kept.insert(project.clone(), (version, catalog.clone()));
        catalog
    }
}

#[cfg(test)]
mod tests {
    use roster_domain::ids::RandomIds;

    use super::*;

    #[test]
    fn a_kept_catalog_serves_only_its_version_and_project() {
        let cache = CatalogCache::new();
        let (a, b) = (
            ProjectId::generate(&RandomIds),
            ProjectId::generate(&RandomIds),
        );
        assert!(cache.get(&a, 0).is_none());
        let kept = cache.keep(&a, Some(7), Catalog::default());
        assert!(Arc::ptr_eq(&cache.get(&a, 7).unwrap(), &kept));
        assert!(cache.get(&a, 8).is_none(), "another version");
        assert!(cache.get(&b, 7).is_none(), "another project");
        cache.keep(&a, Some(9), Catalog::default());
        assert!(cache.get(&a, 7).is_none(), "replaced");
        assert!(cache.get(&a, 9).is_some());
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = CatalogCache::new();
        for _ in 0..MAX_PROJECTS + 10 {
            cache.keep(
                &ProjectId::generate(&RandomIds),
                Some(1),
                Catalog::default(),
            );
        }
        assert!(cache.kept.lock().unwrap().len() <= MAX_PROJECTS);
    }
}
