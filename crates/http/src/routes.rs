//! A router that remembers its routes. Every route of fixgate is added
//! through [`Routes`], which records its method and path, so the access
//! test can demand an expectation for each one: a route added without an
//! entry in that table fails the test.

use axum::Router;
use axum::handler::Handler;

use crate::AppState;

/// One route: its method and path pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
}

/// A router under construction, with the list of what it serves.
pub(crate) struct Routes {
    pub(crate) router: Router<AppState>,
    pub(crate) table: Vec<Route>,
}

macro_rules! method {
    ($name:ident, $method:literal) => {
        pub(crate) fn $name<H, T>(mut self, path: &'static str, handler: H) -> Routes
        where
            H: Handler<T, AppState>,
            T: 'static,
        {
            self.router = self.router.route(path, axum::routing::$name(handler));
            self.table.push(Route { method: $method, path });
            self
        }
    };
}

impl Routes {
    pub(crate) fn new() -> Routes {
        Routes { router: Router::new(), table: Vec::new() }
    }

    method!(get, "GET");
    method!(post, "POST");
    method!(put, "PUT");
    method!(delete, "DELETE");

    /// Adds `other`'s routes.
    pub(crate) fn merge(mut self, other: Routes) -> Routes {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    /// Changes the router (to add layers to this group alone).
    pub(crate) fn map(mut self, f: impl FnOnce(Router<AppState>) -> Router<AppState>) -> Routes {
        self.router = f(self.router);
        self
    }
}
