//! The authorisation matrix, walked cell by cell over HTTP: for every role,
//! every relation an account can have to a case and every action on a
//! case, the server does exactly what `redress_core::authorisation` says. A
//! fresh case is set up for each cell so that the action would succeed if
//! allowed; an allowed cell must answer 2xx, a refused one 403 (a partner's
//! on a case it did not submit: 404, the case does not exist for it) and
//! store nothing.

mod common;

use common::{spawn, Backend, TestApp};
use futures_util::stream::{self, StreamExt};
use redress_core::authorisation::{allows, CaseAction, Relation};
use redress_core::user::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The accounts the walk uses.
struct Cast {
    /// One account per role under test: (role, id, token).
    actors: Vec<(Role, i64, String)>,
    /// Owns the cases whose owner is not the actor.
    holder: i64,
    /// Owns preventive action where the actor does not.
    keeper: i64,
    /// A manager with no mandate: proposes the remedy that waits for approval.
    proposer: String,
    /// Receives transfers and assignments.
    spare: i64,
    /// A second partner, that submits the cases other than the actor's own.
    other_partner: String,
    customer: i64,
    problem: i64,
}

async fn cast(app: &TestApp) -> Cast {
    let mut actors = Vec::new();
    for role in [Role::Agent, Role::Manager, Role::Senior, Role::Admin, Role::Partner] {
        let (id, token) = app.user(role.as_str(), "1000").await;
        actors.push((role, id, token));
    }
    let (holder, _) = app.user("agent", "1000").await;
    let (keeper, _) = app.user("agent", "1000").await;
    let (_, proposer) = app.user("manager", "0").await;
    let (spare, _) = app.user("agent", "1000").await;
    let (_, other_partner) = app.user("partner", "0").await;
    let customer = app.customer().await;
    let problem = app.ok(&app.admin, "/api/v1/problems", json!({ "title": "Couriers drop parcels" })).await["id"].as_i64().unwrap();
    Cast { actors, holder, keeper, proposer, spare, other_partner, customer, problem }
}

/// The relations an account of `role` can have to a case.
fn relations(role: Role) -> &'static [Relation] {
    if role == Role::Partner {
        &[Relation::Submitter, Relation::Other]
    } else {
        &[Relation::Owner, Relation::PreventiveOwner, Relation::Assignee, Relation::Other]
    }
}

/// One cell: sets up a case in which `action` would succeed, puts `actor`
/// in `relation` to it, takes the action as the actor and checks the answer
/// against the matrix.
async fn walk_cell(app: &TestApp, cast: &Cast, actor: &(Role, i64, String), relation: Relation, action: CaseAction) {
    let (role, actor_id, token) = (actor.0, actor.1, actor.2.as_str());
    let admin = app.admin.as_str();
    let significant = action == CaseAction::FollowUpSignificant;
    let case = if role == Role::Partner {
        let by = if relation == Relation::Submitter { token } else { cast.other_partner.as_str() };
        app.ok(by, "/api/v1/cases", json!({ "customer_id": cast.customer, "channel": "retailer", "summary": "Parcel arrived broken" })).await
    } else {
        let owner = if relation == Relation::Owner { actor_id } else { cast.holder };
        app.ok(admin, "/api/v1/cases", json!({ "customer_id": cast.customer, "channel": "phone", "summary": "Parcel arrived broken", "owner_id": owner, "significant": significant }))
            .await
    };
    let id = case["id"].as_i64().unwrap();
    let path = |tail: &str| format!("/api/v1/cases/{id}{tail}");
    match relation {
        Relation::PreventiveOwner => {
            app.ok(admin, &path("/preventive"), json!({ "owner_id": actor_id })).await;
        }
        Relation::Assignee => {
            app.ok(admin, &path("/assignees"), json!({ "user_id": actor_id })).await;
        }
        _ => {}
    }
    let waive = |steps: &'static [&'static str]| async move {
        for step in steps {
            app.ok(admin, &format!("/api/v1/cases/{id}/deviations"), json!({ "step": step, "reason": "set up for the walk" })).await;
        }
    };
    match action {
        CaseAction::DecideAction => {
            let v = app.ok(&cast.proposer, &path("/actions"), json!({ "description": "Refund", "remedy_value": "10" })).await;
            assert_eq!(v["status"], "awaiting_approval", "{v}");
        }
        CaseAction::FollowUp | CaseAction::FollowUpSignificant => waive(&["corrective_action", "preventive_action"]).await,
        CaseAction::Close => waive(&["first_response", "corrective_action", "apology", "preventive_action", "follow_up"]).await,
        _ => {}
    }
    let preventive_owner = if relation == Relation::PreventiveOwner { actor_id } else { cast.keeper };
    let (method, target, body) = match action {
        CaseAction::Read => (Method::GET, path(""), None),
        CaseAction::ReadFiles => (Method::GET, path("/attachments"), None),
        CaseAction::Update => (Method::PATCH, path(""), Some(json!({ "summary": "Parcel arrived crushed" }))),
        CaseAction::Communicate if role == Role::Partner => {
            (Method::POST, path("/communications"), Some(json!({ "direction": "inbound", "channel": "retailer", "body": "Any news?" })))
        }
        CaseAction::Communicate => (Method::POST, path("/communications"), Some(json!({ "direction": "outbound", "channel": "phone", "body": "Called back" }))),
        CaseAction::Assign => (Method::POST, path("/assignees"), Some(json!({ "user_id": cast.spare }))),
        CaseAction::ProposeAction => (Method::POST, path("/actions"), Some(json!({ "description": "Refund the postage", "remedy_value": "1" }))),
        CaseAction::DecideAction => (Method::POST, path("/approvals"), Some(json!({ "decision": "approve" }))),
        CaseAction::RecordPreventive => {
            (Method::POST, path("/preventive"), Some(json!({ "owner_id": preventive_owner, "root_cause": "Thin boxes", "action": "Double-walled boxes" })))
        }
        CaseAction::LinkProblem => (Method::POST, format!("/api/v1/problems/{}/cases", cast.problem), Some(json!({ "case_ids": [id] }))),
        CaseAction::Transfer => (Method::POST, path("/transfer"), Some(json!({ "to_user_id": cast.spare, "reason": "Knows the courier" }))),
        CaseAction::Waive => (Method::POST, path("/deviations"), Some(json!({ "step": "first_response", "reason": "Customer called us back first" }))),
        CaseAction::WaiveFollowUp => (Method::POST, path("/deviations"), Some(json!({ "step": "follow_up", "reason": "Customer asked not to be called" }))),
        CaseAction::Gift => (Method::POST, path("/gifts"), Some(json!({ "description": "Flowers", "cost": "1" }))),
        CaseAction::Report => (Method::POST, path("/reports"), Some(json!({ "summary": "What happened", "actions": ["Double-walled boxes"] }))),
        CaseAction::FollowUp | CaseAction::FollowUpSignificant => {
            (Method::POST, path("/follow-up"), Some(json!({ "outcome": "resolved", "satisfaction": 5, "preventive_confirmed": true })))
        }
        CaseAction::RevokeStatusLinks => (Method::DELETE, path("/status-links"), None),
        CaseAction::Close => (Method::POST, path("/close"), Some(json!({ "note": "All done" }))),
    };
    let before = state(app, id).await;
    let (status, answer) = app.send(method.clone(), Some(token), &target, body).await;
    let cell = format!("{} × {} × {}: {method} {target} answered {status}: {answer}", role.as_str(), relation.as_str(), action.as_str());
    if allows(role, action, relation) {
        assert!(status.is_success(), "allowed by the matrix, refused by the server: {cell}");
    } else {
        let hidden = role == Role::Partner && relation != Relation::Submitter;
        let expected = status == StatusCode::FORBIDDEN || (hidden && status == StatusCode::NOT_FOUND);
        assert!(expected, "refused by the matrix, not by the server: {cell}");
        assert!(hidden || !answer["detail"].as_str().unwrap_or_default().is_empty(), "{cell}");
        assert_eq!(state(app, id).await, before, "a refusal stored something: {cell}");
    }
}

/// What a refusal must leave untouched: the case with its timeline,
/// assignees, actions and problem link (the test clock stands still).
async fn state(app: &TestApp, id: i64) -> Value {
    let (status, case) = app.get(&app.admin, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    case
}

async fn every_cell_of_the_matrix_holds_over_http(backend: Backend) {
    let app = spawn(backend).await;
    app.london().await;
    let cast = cast(&app).await;
    let mut cells = Vec::new();
    for actor in &cast.actors {
        for &relation in relations(actor.0) {
            for action in CaseAction::ALL {
                cells.push((actor, relation, action));
            }
        }
    }
    let walked = cells.len();
    stream::iter(cells).for_each_concurrent(8, |(actor, relation, action)| walk_cell(&app, &cast, actor, relation, action)).await;
    // 4 staff roles × 4 relations and a partner × 2 relations, each × every action.
    assert_eq!(walked, (4 * 4 + 2) * CaseAction::ALL.len());
}

/// Assigning and withdrawing over the API: who may be assigned, a
/// withdrawal of someone not assigned, and the timeline's record of both.
async fn assignments_are_made_and_withdrawn_over_the_api(backend: Backend) {
    let app = spawn(backend).await;
    app.london().await;
    let (owner, owner_token) = app.user("agent", "50").await;
    let (helper, helper_token) = app.user("agent", "50").await;
    let (partner, _) = app.user("partner", "0").await;
    let customer = app.customer().await;
    let case = app.case(&owner_token, customer, false).await;
    let path = format!("/api/v1/cases/{case}/assignees");

    let v = app.ok(&owner_token, &path, json!({ "user_id": helper })).await;
    assert_eq!(v["assignees"], json!([{ "user_id": helper, "role": "named" }]));
    let again = app.ok(&owner_token, &path, json!({ "user_id": helper })).await;
    assert_eq!(again["assignees"], v["assignees"], "assigning twice changes nothing");
    for (who, status, says) in [
        (owner, StatusCode::UNPROCESSABLE_ENTITY, "assign someone besides the owner"),
        (partner, StatusCode::UNPROCESSABLE_ENTITY, "only active staff work cases"),
        (9999, StatusCode::UNPROCESSABLE_ENTITY, "user_id 9999 does not exist"),
    ] {
        let (s, v) = app.post(&owner_token, &path, json!({ "user_id": who })).await;
        assert_eq!(s, status, "{v}");
        assert!(v["detail"].as_str().unwrap().contains(says), "{v}");
    }
    // The helper may not withdraw themself: assigning is the owner's.
    let (s, v) = app.send(Method::DELETE, Some(&helper_token), &format!("{path}/{helper}"), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = app.send(Method::DELETE, Some(&owner_token), &format!("{path}/{helper}"), None).await;
    assert_eq!((s, v["assignees"].clone()), (StatusCode::OK, json!([])), "{v}");
    let (s, v) = app.send(Method::DELETE, Some(&owner_token), &format!("{path}/{helper}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert!(v["detail"].as_str().unwrap().contains(&format!("user {helper} is not assigned")), "{v}");
    let kinds: Vec<String> = app.case_json(case).await["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "assigned").count(), 1, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "unassigned").count(), 1, "{kinds:?}");
}

both_backends!(every_cell_of_the_matrix_holds_over_http, assignments_are_made_and_withdrawn_over_the_api);
