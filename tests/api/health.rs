use crate::helpers::each_engine;

#[test]
fn healthz_is_a_trivial_ok() {
    each_engine(|app| {
        let r = app.get("/healthz");
        assert_eq!(r.status().as_u16(), 200);
        assert!(
            r.headers().get("x-request-id").is_some(),
            "every response carries a request id"
        );
        assert_eq!(r.text().unwrap(), "ok");
    });
}

#[test]
fn readyz_reports_the_engine_it_reached() {
    each_engine(|app| {
        let (status, body) = app.json("/readyz");
        assert_eq!(status, 200);
        assert_eq!(body["status"], "ready");
        assert_eq!(
            body["database"],
            if app.is_postgres() {
                "postgres"
            } else {
                "sqlite"
            }
        );
    });
}
