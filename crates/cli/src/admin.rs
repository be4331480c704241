//! `fixgate admin …`: people, teams, owners and tokens on the local store.
//! Whoever runs these commands holds the store's files, so they act as the
//! installation itself; events record `cli:$USER`.

use std::io::BufRead;

use anyhow::Context;
use fixgate_domain::Role;
use fixgate_service::access::parse_expiry;
use fixgate_service::{CreateToken, CreateUser, Fixgate, TokenHolder};
use serde_json::json;

use crate::cli::{AdminArgs, AdminCommand, StoreArgs};
use crate::output::{print, print_json};

pub async fn admin(store: &StoreArgs, args: AdminArgs) -> anyhow::Result<()> {
    let fixgate = crate::serve::open(store).await?;
    let result = run(&fixgate, args.command).await;
    fixgate.store().close().await;
    result
}

async fn run(fixgate: &Fixgate, command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::CreateUser { name, role, teams, password_stdin, json } => {
            let password = password_stdin.then(read_password).transpose()?;
            let user = CreateUser { name, role: role_arg(&role)?, teams, password };
            let created = fixgate.create_user(user).await?;
            if json {
                return print_json(&serde_json::to_value(&created)?);
            }
            let teams = if created.teams.is_empty() {
                String::new()
            } else {
                format!(" in {}", created.teams.join(", "))
            };
            let mut out = format!("created {} ({}){teams}\n", created.name, created.role);
            if let Some(password) = &created.initial_password {
                out.push_str(&format!(
                    "password: {password}\n(shown once; it must be changed at the first sign-in)\n"
                ));
            }
            print(&out)
        }
        AdminCommand::SetPassword { name, password_stdin } => {
            if password_stdin {
                let password = read_password()?;
                fixgate.set_password(&name, &password, false, None).await?;
                print(&format!("password of {name} changed; their sessions are ended\n"))
            } else {
                let password = fixgate_service::access::new_password()?;
                fixgate.set_password(&name, &password, true, None).await?;
                print(&format!(
                    "password of {name}: {password}\n(shown once; it must be changed at the next \
                     sign-in)\n"
                ))
            }
        }
        AdminCommand::CreateToken { user, service, role, application, expires, teams, json } => {
            let holder = match (user, service) {
                (Some(user), None) => TokenHolder::User(user),
                (None, Some(service)) => TokenHolder::Service(service),
                _ => anyhow::bail!("give --user NAME or --service NAME"),
            };
            let expires_at = expires.as_deref().map(parse_expiry).transpose()?;
            let request =
                CreateToken { holder, role: role_arg(&role)?, application, expires_at, teams };
            let created = fixgate.create_token(request, &crate::import::local_actor()).await?;
            if json {
                return print_json(&serde_json::to_value(&created)?);
            }
            let scope =
                created.application.as_deref().map_or(String::new(), |a| format!(", {a} only"));
            let expiry = created.expires_at.map_or(String::new(), |at| format!(", expires {at}"));
            print(&format!(
                "{}\ntoken {} for {} ({}{scope}{expiry}); shown once, fixgate keeps only its hash\n",
                created.token, created.id, created.user, created.role
            ))
        }
        AdminCommand::SetRole { name, role } => {
            let role = role_arg(&role)?;
            fixgate.set_role(&name, role).await?;
            print(&format!("{name} is now {role}\n"))
        }
        AdminCommand::DisableUser { name } => {
            fixgate.set_disabled(&name, true).await?;
            print(&format!("{name} is disabled: their sessions ended, their tokens stop working\n"))
        }
        AdminCommand::EnableUser { name } => {
            fixgate.set_disabled(&name, false).await?;
            print(&format!("{name} is enabled again\n"))
        }
        AdminCommand::Tokens { json } => {
            let tokens = fixgate.store().tokens(None).await?;
            if json {
                return print_json(&serde_json::to_value(&tokens)?);
            }
            let mut out = String::new();
            for token in tokens {
                let state = match (token.revoked_at, token.expires_at) {
                    (Some(at), _) => format!("revoked {at}"),
                    (None, Some(at)) => format!("expires {at}"),
                    (None, None) => "no expiry".into(),
                };
                out.push_str(&format!(
                    "{:>5}  {}…  {:<20} {:<13} {:<20} {state}\n",
                    token.id,
                    token.prefix,
                    token.user,
                    token.role,
                    token.application.as_deref().unwrap_or("any application"),
                ));
            }
            print(&out)
        }
        AdminCommand::RevokeToken { id } => {
            fixgate.revoke_token_locally(id).await?;
            print(&format!("token {id} revoked\n"))
        }
        AdminCommand::Users { json } => {
            let users = fixgate.store().users().await?;
            if json {
                return print_json(&json!(users));
            }
            let mut out = String::new();
            for user in users {
                out.push_str(&format!(
                    "{:<24} {:<8} {:<14} {}\n",
                    user.name,
                    user.kind,
                    user.role,
                    user.teams.join(", ")
                ));
            }
            print(&out)
        }
        AdminCommand::AddMember { team, user } => {
            fixgate.add_member(&team, &user).await?;
            print(&format!("{user} is in team {team}\n"))
        }
        AdminCommand::AddOwner { application, team } => {
            fixgate.add_owner(&application, &team).await?;
            print(&format!("team {team} owns application {application}\n"))
        }
        AdminCommand::CreateHook { name, json: true } => {
            let secret = fixgate.create_hook(&name).await?;
            print_json(&json!({ "secret": secret }))
        }
        AdminCommand::CreateHook { name, json: false } => {
            let secret = fixgate.create_hook(&name).await?;
            print(&format!(
                "created hook {name}, at POST /api/v1/hooks/{name}\n\
                 secret: {secret}\n\
                 fixgate does not show this secret again: configure the sender with it now.\n"
            ))
        }
    }
}

fn role_arg(role: &str) -> anyhow::Result<Role> {
    role.parse::<Role>().map_err(|err| anyhow::anyhow!("--role: {err}"))
}

/// The first line of standard input, without its line ending.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
