//! The one hand-kept schema, in types both engines share (see migrations/sqlite and migrations/postgres).

diesel::table! {
    units (id) {
        id -> Text,
        parent_id -> Nullable<Text>,
        slug -> Text,
        name -> Text,
        kind -> Text,
        path -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        display_name -> Text,
        phone -> Nullable<Text>,
        unit_id -> Nullable<Text>,
        role -> Text,
        password_hash -> Nullable<Text>,
        email_verified_at -> Nullable<Timestamp>,
        disabled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        lang -> Text,
    }
}

diesel::table! {
    categories (id) {
        id -> Text,
        slug -> Text,
        name_vi -> Text,
        name_en -> Text,
        position -> Integer,
    }
}

diesel::table! {
    contests (id) {
        id -> Text,
        unit_id -> Text,
        slug -> Text,
        title -> Text,
        description -> Text,
        rules -> Text,
        opens_at -> Timestamp,
        closes_at -> Timestamp,
        max_ideas_per_member -> Integer,
        ideas_public -> Bool,
        blind_review -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    contest_categories (contest_id, category_id) {
        contest_id -> Text,
        category_id -> Text,
        position -> Integer,
    }
}

diesel::table! {
    ideas (id) {
        id -> Text,
        contest_id -> Text,
        category_id -> Text,
        unit_id -> Text,
        author_id -> Text,
        title -> Text,
        summary -> Text,
        situation -> Text,
        solution -> Text,
        impact -> Text,
        resources -> Text,
        applies_where -> Text,
        status -> Text,
        is_public -> Bool,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        listed_at -> Nullable<Timestamp>,
        contact_id -> Nullable<Text>,
    }
}

diesel::table! {
    idea_coauthors (idea_id, user_id) {
        idea_id -> Text,
        user_id -> Text,
        added_at -> Timestamp,
    }
}

diesel::table! {
    attachments (id) {
        id -> Text,
        idea_id -> Text,
        file_name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        storage_key -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    adoptions (idea_id) {
        idea_id -> Text,
        responsible_unit_id -> Text,
        plan -> Text,
        progress -> Integer,
        latest_update -> Nullable<Text>,
        started_at -> Timestamp,
        updated_at -> Timestamp,
        planned_start -> Nullable<Date>,
        planned_end -> Nullable<Date>,
        ended_at -> Nullable<Timestamp>,
        end_reason -> Nullable<Text>,
    }
}

diesel::table! {
    events (id) {
        id -> Text,
        idea_id -> Nullable<Text>,
        contest_id -> Nullable<Text>,
        actor_id -> Nullable<Text>,
        kind -> Text,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        reason -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        user_agent -> Text,
        ip -> Text,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    email_tokens (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        purpose -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        recipient -> Text,
        recipient_name -> Text,
        lang -> Text,
        kind -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        message_id -> Text,
        created_at -> Timestamp,
        next_attempt_at -> Timestamp,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        locked_until -> Nullable<Timestamp>,
        locked_by -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    rate_limits (key) {
        key -> Text,
        window_start -> Timestamp,
        count -> Integer,
    }
}

diesel::table! {
    idea_versions (idea_id, version) {
        idea_id -> Text,
        version -> Integer,
        title -> Text,
        summary -> Text,
        situation -> Text,
        solution -> Text,
        impact -> Text,
        resources -> Text,
        applies_where -> Text,
        category_id -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Text,
        key -> Text,
        idea_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    contacts (id) {
        id -> Text,
        name -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        unit_id -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    imports (id) {
        id -> Text,
        contest_id -> Text,
        created_by -> Text,
        file_name -> Text,
        source -> Text,
        mapping -> Text,
        status -> Text,
        total_rows -> Integer,
        next_row -> Integer,
        imported -> Integer,
        duplicates -> Integer,
        rejected -> Integer,
        error -> Nullable<Text>,
        created_at -> Timestamp,
        heartbeat_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    import_rows (import_id, row_number) {
        import_id -> Text,
        row_number -> Integer,
        outcome -> Text,
        title -> Text,
        idea_id -> Nullable<Text>,
        duplicate_of_row -> Nullable<Integer>,
        duplicate_of_idea -> Nullable<Text>,
        problems -> Text,
    }
}

diesel::table! {
    review_rounds (contest_id, round) {
        contest_id -> Text,
        round -> Integer,
        reviews_per_idea -> Integer,
        due_at -> Nullable<Timestamp>,
        locked_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    rubric_criteria (id) {
        id -> Text,
        contest_id -> Text,
        round -> Integer,
        position -> Integer,
        name -> Text,
        description -> Text,
        weight -> Double,
        min_score -> Integer,
        max_score -> Integer,
        levels -> Text,
    }
}

diesel::table! {
    contest_reviewers (contest_id, user_id) {
        contest_id -> Text,
        user_id -> Text,
        cap -> Integer,
        added_at -> Timestamp,
    }
}

diesel::table! {
    reviewer_invitations (id) {
        id -> Text,
        contest_id -> Text,
        email -> Text,
        cap -> Integer,
        token_hash -> Text,
        invited_by -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        accepted_by -> Nullable<Text>,
        declined_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    conflicts (id) {
        id -> Text,
        contest_id -> Text,
        idea_id -> Text,
        reviewer_id -> Text,
        kind -> Text,
        reason -> Text,
        declared_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    assignments (id) {
        id -> Text,
        contest_id -> Text,
        round -> Integer,
        idea_id -> Text,
        reviewer_id -> Text,
        status -> Text,
        reason -> Nullable<Text>,
        due_at -> Nullable<Timestamp>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        notified_at -> Nullable<Timestamp>,
        reminded_before_at -> Nullable<Timestamp>,
        reminded_after_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    reviews (id) {
        id -> Text,
        assignment_id -> Text,
        contest_id -> Text,
        round -> Integer,
        idea_id -> Text,
        reviewer_id -> Text,
        status -> Text,
        scores -> Text,
        weighted_score -> Nullable<Double>,
        confidence -> Nullable<Integer>,
        comment_author -> Text,
        comment_panel -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    review_history (review_id, version) {
        review_id -> Text,
        version -> Integer,
        scores -> Text,
        weighted_score -> Nullable<Double>,
        confidence -> Nullable<Integer>,
        comment_author -> Text,
        comment_panel -> Text,
        changed_by -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    decisions (id) {
        id -> Text,
        idea_id -> Text,
        contest_id -> Text,
        decision -> Text,
        rationale -> Text,
        decided_by -> Text,
        decided_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    milestones (id) {
        id -> Text,
        idea_id -> Text,
        happened_on -> Date,
        body -> Text,
        progress -> Integer,
        author_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    milestone_photos (id) {
        id -> Text,
        milestone_id -> Text,
        file_name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        storage_key -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    supports (idea_id, user_id) {
        idea_id -> Text,
        user_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    vote_rounds (contest_id) {
        contest_id -> Text,
        opens_at -> Timestamp,
        closes_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    votes (contest_id, user_id) {
        contest_id -> Text,
        user_id -> Text,
        idea_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(contests -> units (unit_id));
diesel::joinable!(users -> units (unit_id));
diesel::joinable!(contest_categories -> contests (contest_id));
diesel::joinable!(contest_categories -> categories (category_id));
diesel::joinable!(ideas -> contests (contest_id));
diesel::joinable!(ideas -> categories (category_id));
diesel::joinable!(ideas -> units (unit_id));
diesel::joinable!(ideas -> users (author_id));
diesel::joinable!(idea_coauthors -> ideas (idea_id));
diesel::joinable!(idea_versions -> ideas (idea_id));
diesel::joinable!(idea_coauthors -> users (user_id));
diesel::joinable!(attachments -> ideas (idea_id));
diesel::joinable!(adoptions -> ideas (idea_id));
diesel::joinable!(adoptions -> units (responsible_unit_id));
diesel::joinable!(events -> ideas (idea_id));
diesel::joinable!(events -> users (actor_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(email_tokens -> users (user_id));
diesel::joinable!(ideas -> contacts (contact_id));
diesel::joinable!(imports -> contests (contest_id));
diesel::joinable!(import_rows -> imports (import_id));
diesel::joinable!(rubric_criteria -> contests (contest_id));
diesel::joinable!(contest_reviewers -> users (user_id));
diesel::joinable!(contest_reviewers -> contests (contest_id));
diesel::joinable!(assignments -> ideas (idea_id));
diesel::joinable!(assignments -> users (reviewer_id));
diesel::joinable!(reviews -> assignments (assignment_id));
diesel::joinable!(review_history -> reviews (review_id));
diesel::joinable!(decisions -> ideas (idea_id));
diesel::joinable!(conflicts -> ideas (idea_id));
diesel::joinable!(milestones -> adoptions (idea_id));
diesel::joinable!(milestone_photos -> milestones (milestone_id));
diesel::joinable!(supports -> ideas (idea_id));
diesel::joinable!(votes -> ideas (idea_id));

diesel::allow_tables_to_appear_in_same_query!(
    units,
    users,
    categories,
    contests,
    contest_categories,
    ideas,
    idea_coauthors,
    attachments,
    adoptions,
    events,
    sessions,
    api_tokens,
    email_tokens,
    outbox,
    rate_limits,
    idea_versions,
    idempotency_keys,
    contacts,
    imports,
    import_rows,
    review_rounds,
    rubric_criteria,
    contest_reviewers,
    reviewer_invitations,
    conflicts,
    assignments,
    reviews,
    review_history,
    decisions,
    milestones,
    milestone_photos,
    supports,
    vote_rounds,
    votes,
);
