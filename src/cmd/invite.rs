use anyhow::{bail, Result};
use qrcode::render::unicode::Dense1x2;
use qrcode::QrCode;

use super::{format_local, format_time, Run, Session};
use crate::audit::{self, Action, Event};
use crate::cli::Invite as InviteCmd;
use crate::contacts::now;
use crate::invite::{parse_duration, Invite, InviteCode, InviteState, Invites};
use crate::keys;

impl Run for InviteCmd {
    fn run(&self, session: &Session) -> Result<()> {
        let config = session.config()?;
        let store = session.unlock()?;
        let mut invites = Invites::load(&store)?;
        if self.list {
            if session.json {
                let list: Vec<_> = invites
                    .invites
                    .iter()
                    .map(|i| {
                        serde_json::json!({
                            "token": i.token,
                            "for": i.for_address,
                            "created_at": format_time(i.created_at as i64),
                            "expires_at": format_time(i.expires_at as i64),
                            "state": i.describe(),
                        })
                    })
                    .collect();
                return session.print_json(&serde_json::json!({ "invites": list }));
            }
            if invites.invites.is_empty() {
                println!("no invites; `sealpost invite` makes one");
            }
            for invite in &invites.invites {
                println!(
                    "{}  for {:<24}  expires {}  {}",
                    invite.token,
                    invite.for_address.as_deref().unwrap_or("anyone"),
                    format_local(invite.expires_at as i64),
                    invite.describe()
                );
            }
            return Ok(());
        }
        if let Some(token) = &self.revoke {
            let Some(invite) = invites.by_token_mut(token.trim()) else {
                bail!("no invite {token}; `sealpost invite --list` shows them");
            };
            // An answered invite is still waiting for the joiner's proof:
            // revoking it refuses that proof.
            if !matches!(invite.state, InviteState::Open | InviteState::Answered { .. }) {
                bail!("invite {token} cannot be revoked: it is {}", invite.describe());
            }
            invite.state = InviteState::Revoked { at: now() };
            invites.save(&store)?;
            if session.json {
                return session.print_json(&serde_json::json!({ "revoked": token }));
            }
            println!("revoked invite {token}; a join with it will be refused");
            return Ok(());
        }
        let for_address = match &self.for_address {
            Some(address) => {
                keys::check_address(address)?;
                Some(keys::normalize_address(address))
            }
            None => None,
        };
        let expires_at = now() + parse_duration(&self.expires)?;
        let code = InviteCode::generate(&config.account.address, &store.secret_cert().fingerprint(), expires_at);
        invites.invites.push(Invite {
            token: code.token.clone(),
            secret: code.secret.clone(),
            for_address: for_address.clone(),
            created_at: now(),
            expires_at,
            state: InviteState::Open,
            requests: Vec::new(),
            refusals: 0,
        });
        store.transaction(|| {
            invites.save(&store)?;
            let mut event = Event::new(Action::Invite).detail(format!("invite {} made", code.token));
            if let Some(address) = &for_address {
                event = event.contact(address);
            }
            audit::record(&store, event)
        })?;
        let text = code.to_string();
        if session.json {
            return session.print_json(&serde_json::json!({
                "code": text,
                "token": code.token,
                "for": for_address,
                "expires_at": format_time(expires_at as i64),
            }));
        }
        // Only when asked: a QR code fills a terminal screen.
        if self.qr {
            match qr(&text) {
                Some(drawn) => println!("{drawn}"),
                None => crate::error::warn("the code does not fit a QR code; read it out instead"),
            }
        }
        println!("invite code (works once, until {}):", format_local(expires_at as i64));
        println!();
        println!("    {text}");
        println!();
        match &for_address {
            // The answer goes to this address, with a nonce only the
            // requested key can read, and the proof must carry it back.
            Some(address) => println!("only someone who reads the mail of {address} can complete a join with it."),
            None => println!("anyone holding it can join: hand it over in person, not by email."),
        }
        println!("They run `sealpost join CODE`; then both of you run `sealpost sync` until it says verified.");
        println!("token {} (`sealpost invite --revoke {}` cancels it)", code.token, code.token);
        Ok(())
    }
}

/// `text` as a QR code drawn with half-block characters, for a terminal.
fn qr(text: &str) -> Option<String> {
    QrCode::new(text.as_bytes()).ok().map(|qr| qr.render::<Dense1x2>().quiet_zone(true).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invite_code_fits_a_terminal_as_a_qr_code() {
        let cert = keys::generate("Ada", "a-rather-long-name@a-rather-long-practice-domain.example").unwrap();
        let code = InviteCode::generate(
            "a-rather-long-name@a-rather-long-practice-domain.example",
            &cert.fingerprint(),
            2_000_000_000,
        );
        let drawn = qr(&code.to_string()).expect("the code fits a QR code");
        assert!(drawn.lines().count() <= 40, "{drawn}");
        assert!(drawn.lines().all(|l| l.chars().count() <= 80), "{drawn}");
    }
}
