-- The statistics page counts ideas with GROUP BY. Both indexes give the groups in order, so a count over a
-- million ideas is one pass over an index, without a sort and without reading the table.
-- By contest, category, unit and state (the charts by category and unit, the funnel, blind-review checks).
CREATE INDEX ideas_stats_cells ON ideas(contest_id, category_id, unit_id, status);
-- By contest and month submitted, Vietnam time (UTC+7, no daylight saving): the expression must stay the one
-- db::stats::month_cells groups by.
CREATE INDEX ideas_stats_months ON ideas(contest_id, strftime('%Y-%m', submitted_at, '+7 hours'), status);
