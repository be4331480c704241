//! What the web app's overviews read: the board of tickets by state, the
//! risk acceptances waiting for a decision, a person's saved views, and
//! the scan history of repositories. Every read is limited to what the
//! caller sees.

use fixgate_domain::{Action, TicketState};
use fixgate_store::{
    NewView, Page, PendingAcceptance, RepositoryScans, SavedView, ScanRow, TicketFilter,
    TicketOrder, TicketRow,
};

use crate::{Fixgate, Principal, ServiceError};

/// The longest name a saved view may have, in characters.
pub const MAX_VIEW_NAME: usize = 60;

/// The longest query string a saved view may keep, in bytes.
pub const MAX_VIEW_QUERY: usize = 2000;

/// The pages a saved view may open.
pub const VIEW_PAGES: [&str; 2] = ["tickets", "board"];

/// One column of the board.
#[derive(Debug, Clone)]
pub struct BoardColumn {
    pub state: TicketState,
    /// Every ticket in the state that the filter matches.
    pub count: u64,
    /// The most urgent of them, at most as many as asked for.
    pub tickets: Vec<TicketRow>,
}

impl Fixgate {
    /// The board: a column per state (the filter's states, else every
    /// state of the lifecycle), each with its count and its most urgent
    /// tickets. One count for all columns, one limited read per column
    /// that has tickets.
    pub async fn board(
        &self,
        filter: &TicketFilter,
        per_column: u32,
    ) -> Result<Vec<BoardColumn>, ServiceError> {
        let filter = self.at_now(filter);
        let counts = self.store.count_by_state(&filter).await?;
        let policy = self.triage_policy().await?;
        let states = TicketState::ALL
            .into_iter()
            .filter(|s| filter.states.is_empty() || filter.states.contains(s));

        let mut columns = Vec::new();
        for state in states {
            let count = counts.iter().find(|(s, _)| *s == state).map_or(0, |(_, n)| *n);
            let mut tickets = Vec::new();
            if count > 0 {
                let column = TicketFilter {
                    states: vec![state],
                    order: TicketOrder::Urgency,
                    limit: per_column,
                    page: 1,
                    ..filter.clone()
                };
                tickets = self.store.first_tickets(&column).await?;
                self.annotate(&mut tickets, &policy);
            }
            columns.push(BoardColumn { state, count, tickets });
        }
        Ok(columns)
    }

    /// The filter with an SLA status measured now.
    pub(crate) fn at_now(&self, filter: &TicketFilter) -> TicketFilter {
        let mut filter = filter.clone();
        if let Some((status, _)) = filter.sla {
            filter.sla = Some((status, self.clock.now()));
        }
        filter
    }

    /// The risk acceptances waiting for a decision on tickets `by` sees,
    /// oldest first, and how many there are; only for people who may decide.
    pub async fn pending_acceptances(
        &self,
        by: &Principal,
        limit: u32,
    ) -> Result<(u64, Vec<PendingAcceptance>), ServiceError> {
        by.require(Action::Decide)?;
        Ok(self.store.pending_acceptances(&by.visibility(), limit).await?)
    }

    /// The views `by` sees: their own, then their teams' shared ones.
    pub async fn saved_views(&self, by: &Principal) -> Result<Vec<SavedView>, ServiceError> {
        Ok(self.store.saved_views(by.user_id).await?)
    }

    /// View `id`, if `by` sees it.
    pub async fn saved_view(&self, id: i64, by: &Principal) -> Result<SavedView, ServiceError> {
        Ok(self.store.saved_view(id, by.user_id).await?)
    }

    /// Saves `by`'s view of `page` with `query` under `name`, shared with
    /// `team` when given; returns its id.
    pub async fn save_view(
        &self,
        by: &Principal,
        name: &str,
        page: &str,
        query: &str,
        team: Option<&str>,
    ) -> Result<i64, ServiceError> {
        let name = view_name(name)?;
        if !VIEW_PAGES.contains(&page) {
            return Err(ServiceError::Invalid(format!(
                "page: {page:?} is not a page a view opens; use tickets or board"
            )));
        }
        if query.len() > MAX_VIEW_QUERY || query.chars().any(char::is_control) {
            return Err(ServiceError::Invalid(format!(
                "query: the filters must be at most {MAX_VIEW_QUERY} characters of a URL's query"
            )));
        }
        let team = team.map(str::trim).filter(|t| !t.is_empty());
        let view = NewView { user_id: by.user_id, name: &name, page, query, team };
        Ok(self.store.save_view(&view, self.clock.now()).await?)
    }

    /// Renames `by`'s view `id`.
    pub async fn rename_view(
        &self,
        by: &Principal,
        id: i64,
        name: &str,
    ) -> Result<(), ServiceError> {
        let name = view_name(name)?;
        Ok(self.store.rename_view(id, by.user_id, &name, self.clock.now()).await?)
    }

    /// Deletes `by`'s view `id`.
    pub async fn delete_view(&self, by: &Principal, id: i64) -> Result<(), ServiceError> {
        Ok(self.store.delete_view(id, by.user_id).await?)
    }

    /// The repositories `by` sees, with each scope's latest scan.
    pub async fn repositories(&self, by: &Principal) -> Result<Vec<RepositoryScans>, ServiceError> {
        Ok(self.store.repositories_with_scans(&by.visibility()).await?)
    }

    /// Repository `id` and one page of its scans, newest first, if `by`
    /// sees it.
    pub async fn scan_history(
        &self,
        by: &Principal,
        id: i64,
        limit: u32,
        page: u32,
    ) -> Result<(RepositoryScans, Page<ScanRow>), ServiceError> {
        let visibility = by.visibility();
        let repository = self.store.repository_scans(id, &visibility).await?;
        let scans = self.store.scan_history(id, &visibility, limit, page).await?;
        Ok((repository, scans))
    }
}

/// A view's name, trimmed: not empty, not too long, no control characters.
fn view_name(name: &str) -> Result<String, ServiceError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ServiceError::Invalid("name: a saved view needs a name".into()));
    }
    if name.chars().count() > MAX_VIEW_NAME {
        return Err(ServiceError::Invalid(format!(
            "name: at most {MAX_VIEW_NAME} characters, not {}",
            name.chars().count()
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(ServiceError::Invalid("name: no line breaks or control characters".into()));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_names_are_trimmed_and_checked() {
        assert_eq!(view_name("  Mine ").unwrap(), "Mine");
        for bad in ["", "   ", "a\nb", &"x".repeat(MAX_VIEW_NAME + 1)] {
            let err = view_name(bad).unwrap_err().to_string();
            assert!(err.starts_with("name: "), "{bad:?}: {err}");
        }
        assert!(view_name(&"é".repeat(MAX_VIEW_NAME)).is_ok());
    }
}
