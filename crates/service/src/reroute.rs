//! Re-routing open tickets when the rules that route them change: a
//! repository's CODEOWNERS file replaced, or a triage policy loaded.
//!
//! Every open ticket the change may concern (the repository's, or all)
//! whose owner a rule chose is routed again as it would be routed now, from
//! its first finding (or, for a ticket opened by hand, its type and file):
//! the policy's routes, the repository's CODEOWNERS, the application's
//! owning team. A ticket whose team changes
//! moves; one no rule gives a team keeps the team it has, and one whose
//! owner a person set is left to them. A dry run says what would move and
//! changes nothing.

use std::collections::{BTreeMap, HashMap};

use fixgate_domain::codeowners::Codeowners;
use fixgate_domain::triage::{RouteInput, TriagePolicy};
use fixgate_store::{AllOwners, Reroute, RerouteScope, RouteCandidate, RoutingFile};
use serde::Serialize;

use crate::triage::OwnerRules;
use crate::{Fixgate, ServiceError};

/// What a change of routing rules did to open tickets, or with `dry_run`
/// would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rerouted {
    /// The open tickets routed again: those in the change's reach whose
    /// owner a rule chose.
    pub considered: u64,
    /// The tickets that moved to another team (with `dry_run`: would move).
    pub moved: u64,
    /// The moves by team, most tickets first.
    pub flows: Vec<Flow>,
    pub dry_run: bool,
}

/// How many tickets went from one team to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flow {
    /// `None`: tickets that had no owning team.
    pub from: Option<String>,
    pub to: String,
    pub tickets: u64,
}

impl Rerouted {
    fn of(considered: usize, moves: &[Reroute], dry_run: bool) -> Rerouted {
        let mut counts: BTreeMap<(Option<&str>, &str), u64> = BTreeMap::new();
        for m in moves {
            *counts.entry((m.from.as_deref(), m.to.as_str())).or_default() += 1;
        }
        let mut flows: Vec<Flow> = counts
            .into_iter()
            .map(|((from, to), tickets)| Flow {
                from: from.map(str::to_string),
                to: to.to_string(),
                tickets,
            })
            .collect();
        flows.sort_by_key(|flow| std::cmp::Reverse(flow.tickets));
        Rerouted { considered: considered as u64, moved: moves.len() as u64, flows, dry_run }
    }
}

/// A CODEOWNERS file stored, or checked, and what it did to open tickets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeownersSet {
    pub repository: String,
    /// How many rules the file has.
    pub rules: usize,
    pub rerouted: Rerouted,
}

/// A triage policy loaded, or checked, and what it did to open tickets.
#[derive(Debug, Clone)]
pub struct PolicyLoaded {
    pub policy: TriagePolicy,
    pub rerouted: Rerouted,
}

/// The CODEOWNERS files of the repositories whose tickets are routed again.
type Files = HashMap<String, Option<Codeowners>>;

impl Fixgate {
    /// Stores `text` as `repository`'s CODEOWNERS file, moving the
    /// repository's open tickets to the teams it now gives them, all in one
    /// transaction.
    pub async fn set_codeowners(
        &self,
        repository: &str,
        text: &str,
        actor: &str,
    ) -> Result<CodeownersSet, ServiceError> {
        self.replace_codeowners(repository, text, Some(actor)).await
    }

    /// What storing `text` as `repository`'s CODEOWNERS file would do,
    /// changing nothing.
    pub async fn check_codeowners(
        &self,
        repository: &str,
        text: &str,
    ) -> Result<CodeownersSet, ServiceError> {
        self.replace_codeowners(repository, text, None).await
    }

    /// Stores the file when `actor` is given; otherwise only says what it
    /// would do.
    async fn replace_codeowners(
        &self,
        repository: &str,
        text: &str,
        actor: Option<&str>,
    ) -> Result<CodeownersSet, ServiceError> {
        let (repository, parsed) = crate::codeowners::checked(repository, text)?;
        let rules = parsed.rule_count();
        let policy = self.triage_policy().await?;
        let files: Files = HashMap::from([(repository.to_string(), Some(parsed))]);
        let scope = RerouteScope::Repository(repository);
        let (considered, moves) = self.plan_reroute(&policy, scope, files).await?;
        let rerouted = match actor {
            Some(actor) => {
                let file = RoutingFile::Codeowners { repository, content: text };
                let moved = self.store.save_and_reroute(file, &moves, actor, self.clock.now());
                Rerouted::of(considered, &moved.await?, false)
            }
            None => Rerouted::of(considered, &moves, true),
        };
        Ok(CodeownersSet { repository: repository.to_string(), rules, rerouted })
    }

    /// Checks `text` as a triage policy file and, when every line reads,
    /// makes it the policy in force and moves every open ticket to the team
    /// it now routes it to, all in one transaction.
    pub async fn load_triage_policy(
        &self,
        text: &str,
        actor: &str,
    ) -> Result<PolicyLoaded, ServiceError> {
        self.replace_triage_policy(text, Some(actor)).await
    }

    /// What loading `text` as the triage policy would do, changing nothing.
    pub async fn check_triage_policy(&self, text: &str) -> Result<PolicyLoaded, ServiceError> {
        self.replace_triage_policy(text, None).await
    }

    async fn replace_triage_policy(
        &self,
        text: &str,
        actor: Option<&str>,
    ) -> Result<PolicyLoaded, ServiceError> {
        let policy = crate::triage::checked_policy(text)?;
        let (considered, moves) =
            self.plan_reroute(&policy, RerouteScope::All, Files::new()).await?;
        let rerouted = match actor {
            Some(actor) => {
                let file = RoutingFile::TriagePolicy { content: text };
                let moved = self.store.save_and_reroute(file, &moves, actor, self.clock.now());
                Rerouted::of(considered, &moved.await?, false)
            }
            None => Rerouted::of(considered, &moves, true),
        };
        Ok(PolicyLoaded { policy, rerouted })
    }

    /// The open tickets in `scope` routed again by `policy` and the
    /// CODEOWNERS files (`files`, read from the store for repositories it
    /// does not hold): how many were considered, and those whose team
    /// changes.
    async fn plan_reroute(
        &self,
        policy: &TriagePolicy,
        scope: RerouteScope<'_>,
        mut files: Files,
    ) -> Result<(usize, Vec<Reroute>), ServiceError> {
        let candidates = self.store.route_candidates(scope).await?;
        for url in candidates.iter().filter_map(|c| c.repository.as_deref()) {
            if !files.contains_key(url) {
                // Stored files were checked when they were set.
                let text = self.store.codeowners(url).await?;
                let parsed = text.and_then(|text| Codeowners::parse(&text).ok());
                files.insert(url.to_string(), parsed);
            }
        }
        let owners = self.store.all_owners().await?;
        let moves = candidates
            .iter()
            .filter_map(|candidate| reroute(candidate, policy, &files, &owners))
            .collect();
        Ok((candidates.len(), moves))
    }
}

/// The move of `candidate` to the team the rules give it now, if that is
/// another team.
fn reroute(
    candidate: &RouteCandidate,
    policy: &TriagePolicy,
    files: &Files,
    owners: &AllOwners,
) -> Option<Reroute> {
    let rules = OwnerRules {
        policy,
        codeowners: candidate.repository.as_ref().and_then(|url| files.get(url)?.as_ref()),
        teams: &owners.teams,
        memberships: &owners.memberships,
        application_teams: owners
            .application_teams
            .get(&candidate.application)
            .map_or(&[], Vec::as_slice),
    };
    let input = RouteInput {
        application: &candidate.application,
        repository: candidate.repository.as_deref(),
        path: candidate.path.as_deref(),
        ecosystem: candidate.ecosystem.as_deref(),
        kind: candidate.kind,
        ticket_type: candidate.ticket_type,
        cwes: &candidate.cwes,
    };
    let (team, rule) = rules.owner(&input)?;
    (candidate.owner.as_deref() != Some(team.as_str())).then(|| Reroute {
        ticket: candidate.id,
        key: candidate.key.clone(),
        from: candidate.owner.clone(),
        to: team,
        rule,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved(from: Option<&str>, to: &str) -> Reroute {
        Reroute {
            ticket: 1,
            key: "SEC-1".into(),
            from: from.map(str::to_string),
            to: to.into(),
            rule: "CODEOWNERS line 2 (/app/)".into(),
        }
    }

    #[test]
    fn moves_are_summed_up_by_team_most_first() {
        let moves = [
            moved(Some("shop-team"), "payments"),
            moved(None, "docs"),
            moved(Some("shop-team"), "payments"),
        ];
        let rerouted = Rerouted::of(10, &moves, true);
        assert_eq!((rerouted.considered, rerouted.moved, rerouted.dry_run), (10, 3, true));
        let flows: Vec<(Option<&str>, &str, u64)> =
            rerouted.flows.iter().map(|f| (f.from.as_deref(), f.to.as_str(), f.tickets)).collect();
        assert_eq!(flows, [(Some("shop-team"), "payments", 2), (None, "docs", 1)]);
    }
}
