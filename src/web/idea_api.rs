//! The API for writing ideas: create, edit, submit, withdraw, the author's own ideas, and the similar ideas shown
//! while writing one.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::State;
use super::api::ContestRef;
use super::auth::SignedIn;
use super::error::{AppError, ErrorBody};
use super::pages::no_store;
use super::view::rfc3339;
use crate::app::ideas::{self, Intent, OwnIdea};
use crate::app::similar;
use crate::db::submissions;
use crate::domain::idea::IdeaFields;
use crate::domain::listing::{ParamError, parse_idea_id, present};
use crate::domain::status::IdeaStatus;

/// A new idea.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewIdeaBody {
    /// The contest's slug.
    pub contest: String,
    /// `true` to submit at once (every required field complete); `false` (default) keeps a draft.
    #[serde(default)]
    pub submit: bool,
    /// The idea's fields.
    #[serde(flatten)]
    pub fields: IdeaFields,
}

/// Changes to an idea: every field is replaced.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EditIdeaBody {
    /// `true` to submit a draft with these fields.
    #[serde(default)]
    pub submit: bool,
    /// The idea's fields.
    #[serde(flatten)]
    pub fields: IdeaFields,
}

/// One of the person's own ideas.
#[derive(Debug, Serialize, ToSchema)]
pub struct OwnIdeaDto {
    /// Id.
    pub id: String,
    /// Contest slug.
    pub contest: String,
    /// Category slug.
    pub category: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Thực trạng.
    pub situation: String,
    /// Giải pháp.
    pub solution: String,
    /// Hiệu quả dự kiến.
    pub impact: String,
    /// Resources.
    pub resources: String,
    /// Where it applies.
    pub applies_where: String,
    /// Status code.
    pub status: String,
    /// Version (one per submitted text).
    pub version: i32,
    /// Whether the public sees it.
    pub public: bool,
    /// Whether the reader is the author (co-authors only read).
    pub is_author: bool,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
    /// Submitted (RFC 3339).
    pub submitted_at: Option<String>,
    /// Co-authors.
    pub coauthors: Vec<CoauthorDto>,
    /// Attached images and documents, oldest first.
    pub attachments: Vec<super::attachments::AttachmentDto>,
}

/// A co-author.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoauthorDto {
    /// Account id (to remove them).
    pub id: String,
    /// Name.
    pub name: String,
}

fn own_dto(o: &OwnIdea) -> OwnIdeaDto {
    let i = &o.idea;
    OwnIdeaDto {
        id: i.id.clone(),
        contest: o.contest.slug.clone(),
        category: o
            .category
            .as_ref()
            .map(|c| c.slug.clone())
            .unwrap_or_default(),
        title: i.title.clone(),
        summary: i.summary.clone(),
        situation: i.situation.clone(),
        solution: i.solution.clone(),
        impact: i.impact.clone(),
        resources: i.resources.clone(),
        applies_where: i.applies_where.clone(),
        status: i.status.clone(),
        version: i.version,
        public: i.is_public,
        is_author: o.is_author,
        created_at: rfc3339(i.created_at),
        updated_at: rfc3339(i.updated_at),
        submitted_at: i.submitted_at.map(rfc3339),
        attachments: o
            .attachments
            .iter()
            .map(super::attachments::attachment_dto)
            .collect(),
        coauthors: o
            .coauthors
            .iter()
            .map(|(id, name)| CoauthorDto {
                id: id.clone(),
                name: name.clone(),
            })
            .collect(),
    }
}

fn idea_id(raw: &str) -> Result<String, AppError> {
    parse_idea_id(raw).ok_or(AppError::BadParam(ParamError::new("id", "invalid_id")))
}

/// Create an idea (a draft, or submitted with `"submit": true`). Send an `Idempotency-Key` header to make retries
/// safe: a repeated request with the same key answers 200 with the idea the first one made.
#[utoipa::path(post, path = "/api/v1/ideas", tag = "ideas", request_body = NewIdeaBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Any unique string, at most 100 characters")),
    responses((status = 201, body = OwnIdeaDto), (status = 200, description = "Already created with this key", body = OwnIdeaDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 409, description = "A rule refuses it: contest closed, limit reached…", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    req: HttpRequest,
    state: State,
    who: SignedIn,
    body: web::Json<NewIdeaBody>,
) -> Result<HttpResponse, AppError> {
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = body.into_inner();
    let intent = if body.submit {
        Intent::Submit
    } else {
        Intent::Draft
    };
    let principal = who.0.clone();
    let creation = state
        .with_writer(move |pool, writer| {
            ideas::create(
                pool,
                writer,
                &principal,
                &body.contest,
                &body.fields,
                intent,
                key.as_deref(),
            )
        })
        .await?;
    match creation {
        ideas::Creation::New(own) => {
            state.cache.bump();
            let dto = own_dto(&own);
            Ok(no_store(HttpResponse::Created())
                .insert_header((header::LOCATION, format!("/api/v1/me/ideas/{}", dto.id)))
                .json(dto))
        }
        ideas::Creation::Existing(id) => {
            let principal = who.0.clone();
            let dto = state
                .with_conn(move |conn| Ok(own_dto(&ideas::view_own(conn, &principal, &id)?)))
                .await?;
            Ok(no_store(HttpResponse::Ok()).json(dto))
        }
    }
}

/// Edit an idea (its author, while the contest is open and the idea is a draft or submitted); a submitted idea keeps
/// its previous text as a version.
#[utoipa::path(patch, path = "/api/v1/ideas/{id}", tag = "ideas", request_body = EditIdeaBody,
    params(("id" = String, Path, format = Uuid, description = "Idea id (UUID)")),
    responses((status = 200, body = OwnIdeaDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Json<EditIdeaBody>,
) -> Result<HttpResponse, AppError> {
    let id = idea_id(&path)?;
    let body = body.into_inner();
    let intent = if body.submit {
        Intent::Submit
    } else {
        Intent::Draft
    };
    let dto = state
        .with_conn(move |conn| {
            ideas::update(conn, &who.0, &id, &body.fields, intent)?;
            let own = ideas::view_own(conn, &who.0, &id)?;
            Ok(own_dto(&own))
        })
        .await?;
    state.cache.bump();
    Ok(no_store(HttpResponse::Ok()).json(dto))
}

/// Submit a draft.
#[utoipa::path(post, path = "/api/v1/ideas/{id}/submit", tag = "ideas", params(("id" = String, Path, format = Uuid, description = "Idea id (UUID)")),
    responses((status = 200, body = OwnIdeaDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn submit(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = idea_id(&path)?;
    let dto = state
        .with_conn(move |conn| {
            ideas::submit(conn, &who.0, &id)?;
            let own = ideas::view_own(conn, &who.0, &id)?;
            Ok(own_dto(&own))
        })
        .await?;
    state.cache.bump();
    Ok(no_store(HttpResponse::Ok()).json(dto))
}

/// Withdraw a submitted idea before its review starts.
#[utoipa::path(post, path = "/api/v1/ideas/{id}/withdraw", tag = "ideas", params(("id" = String, Path, format = Uuid, description = "Idea id (UUID)")),
    responses((status = 200, body = OwnIdeaDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn withdraw(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = idea_id(&path)?;
    let dto = state
        .with_conn(move |conn| {
            ideas::withdraw(conn, &who.0, &id)?;
            let own = ideas::view_own(conn, &who.0, &id)?;
            Ok(own_dto(&own))
        })
        .await?;
    state.cache.bump();
    Ok(no_store(HttpResponse::Ok()).json(dto))
}

/// A row of the person's ideas.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyIdeaDto {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Status code.
    pub status: String,
    /// Contest title.
    pub contest: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
    /// Whether the reader is the author (otherwise a co-author).
    pub is_author: bool,
}

/// The person's drafts and submitted ideas, and those they co-author.
#[utoipa::path(get, path = "/api/v1/me/ideas", tag = "ideas", responses((status = 200, body = Vec<MyIdeaDto>), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn mine(state: State, who: SignedIn) -> Result<HttpResponse, AppError> {
    let user = who.0.user_id.clone();
    let rows = state
        .with_conn(move |conn| Ok(submissions::my_ideas(conn, &user)?))
        .await?;
    let list: Vec<MyIdeaDto> = rows
        .into_iter()
        .map(|r| MyIdeaDto {
            is_author: r.author_id == who.0.user_id,
            id: r.id,
            title: r.title,
            status: r.status,
            contest: r.contest_title,
            updated_at: rfc3339(r.updated_at),
        })
        .collect();
    Ok(no_store(HttpResponse::Ok()).json(list))
}

/// One of the person's ideas (author or co-author), drafts included.
#[utoipa::path(get, path = "/api/v1/me/ideas/{id}", tag = "ideas", params(("id" = String, Path, format = Uuid, description = "Idea id (UUID)")),
    responses((status = 200, body = OwnIdeaDto), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn mine_one(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = idea_id(&path)?;
    let dto = state
        .with_conn(move |conn| {
            let own = ideas::view_own(conn, &who.0, &id)?;
            Ok(own_dto(&own))
        })
        .await?;
    Ok(no_store(HttpResponse::Ok()).json(dto))
}

/// A co-author to add.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CoauthorBody {
    /// The email of their account.
    pub email: String,
}

/// Add a co-author by the email of their account (the author, while the idea is editable; at most four).
#[utoipa::path(post, path = "/api/v1/ideas/{id}/coauthors", tag = "ideas", request_body = CoauthorBody,
    params(("id" = String, Path, format = Uuid, description = "Idea id (UUID)")),
    responses((status = 200, body = OwnIdeaDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_coauthor(
    state: State,
    who: SignedIn,
    path: web::Path<String>,
    body: web::Json<CoauthorBody>,
) -> Result<HttpResponse, AppError> {
    let id = idea_id(&path)?;
    let email = body.into_inner().email;
    let dto = state
        .with_conn(move |conn| {
            ideas::add_coauthor(conn, &who.0, &id, &email)?;
            Ok(own_dto(&ideas::view_own(conn, &who.0, &id)?))
        })
        .await?;
    Ok(no_store(HttpResponse::Ok()).json(dto))
}

/// Remove a co-author.
#[utoipa::path(delete, path = "/api/v1/ideas/{id}/coauthors/{user}", tag = "ideas",
    params(("id" = String, Path, format = Uuid, description = "Idea id (UUID)"), ("user" = String, Path, description = "Co-author's account id")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn remove_coauthor(
    state: State,
    who: SignedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (raw, user) = path.into_inner();
    let id = idea_id(&raw)?;
    state
        .with_conn(move |conn| ideas::remove_coauthor(conn, &who.0, &id, &user))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The parameters of a similarity check, as sent.
#[derive(Debug, Default, Deserialize)]
pub struct SimilarParams {
    /// Title typed so far.
    pub title: Option<String>,
    /// Summary typed so far.
    pub summary: Option<String>,
    /// Contest slug.
    pub contest: Option<String>,
    /// An idea id never to return (the one being edited).
    pub exclude: Option<String>,
    /// How many ideas.
    pub limit: Option<String>,
}

impl SimilarParams {
    /// The check these parameters ask for; a bad `limit` or `exclude` is a parameter error, the text and contest
    /// are checked with the database by `app::similar::find`.
    pub fn parse(&self) -> Result<similar::SimilarQuery, AppError> {
        let limit = match present(&self.limit) {
            None => similar::DEFAULT_LIMIT,
            Some(l) => l
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=similar::MAX_LIMIT).contains(n))
                .ok_or(ParamError::new("limit", "invalid_similar_limit"))?,
        };
        let exclude = match present(&self.exclude) {
            None => None,
            Some(raw) => Some(parse_idea_id(raw).ok_or(ParamError::new("exclude", "invalid_id"))?),
        };
        Ok(similar::SimilarQuery {
            title: self.title.clone().unwrap_or_default(),
            summary: self.summary.clone().unwrap_or_default(),
            contest: present(&self.contest).map(str::to_string),
            exclude,
            limit,
        })
    }
}

/// An existing idea like the one being written.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarIdeaDto {
    /// Id (UUID).
    pub id: String,
    /// Title.
    pub title: String,
    /// Summary, shortened to at most 200 characters.
    pub summary: String,
    /// Contest.
    pub contest: ContestRef,
    /// Where the idea is in its life.
    pub status: IdeaStatus,
    /// The idea's public page.
    pub url: String,
    /// How alike, from 0 to 1 (cosine of the two texts' syllables and syllable pairs, the title counting double).
    pub score: f64,
}

/// The answer of a similarity check.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarPage {
    /// The most alike first.
    pub items: Vec<SimilarIdeaDto>,
}

impl SimilarIdeaDto {
    /// The DTO of a found idea.
    pub fn of(s: similar::SimilarIdea) -> SimilarIdeaDto {
        SimilarIdeaDto {
            url: format!("/ideas/{}", s.id),
            id: s.id,
            title: s.title,
            summary: s.summary,
            contest: ContestRef {
                slug: s.contest_slug,
                title: s.contest_title,
            },
            status: s.status,
            // Three decimals are all a reader can use, and keep answers stable across engines.
            score: (s.score * 1000.0).round() / 1000.0,
        }
    }
}

/// Public ideas most like a title and summary being written, for showing while an author types. Accents and case
/// are ignored; very common function words ("và", "của", "the") count for nothing. At least one of `title` and
/// `summary` must have text.
#[utoipa::path(get, path = "/api/v1/ideas/similar", tag = "ideas",
    params(
        ("title" = Option<String>, Query, description = "Title typed so far, at most 150 characters", max_length = 150),
        ("summary" = Option<String>, Query, description = "Summary typed so far, at most 600 characters", max_length = 600),
        ("contest" = Option<String>, Query, description = "Only ideas of this contest (slug)"),
        ("exclude" = Option<String>, Query, description = "An idea id never to return (the idea being edited)",
            pattern = r"^\s*([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?\s*$"),
        ("limit" = Option<u32>, Query, description = "How many ideas, 1–20 (default 5)", minimum = 1, maximum = 20),
    ),
    responses(
        (status = 200, description = "The most alike public ideas, most alike first", body = SimilarPage),
        (status = 400, description = "`validation_failed` (text too long: `fields` names it) or `bad_parameter` \
            (`limit`, `exclude`)", body = ErrorBody),
        (status = 404, description = "No contest has this slug (`not_found` on `contest`)", body = ErrorBody),
        (status = 422, description = "Neither `title` nor `summary` has text (`validation_failed`, `required` on \
            `title`)", body = ErrorBody),
    ))]
pub async fn similar(
    req: HttpRequest,
    state: State,
    params: web::Query<SimilarParams>,
) -> Result<HttpResponse, AppError> {
    let query = params.parse()?;
    let lang = super::i18n::Lang::of_request(&req);
    state
        .cached(&req, lang, "application/json", move |conn| {
            let items = similar::find(conn, &query)?
                .into_iter()
                .map(SimilarIdeaDto::of)
                .collect();
            serde_json::to_string(&SimilarPage { items })
                .map_err(|e| AppError::Internal(e.to_string()))
        })
        .await
}
