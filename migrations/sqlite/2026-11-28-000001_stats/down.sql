DROP INDEX ideas_stats_months;
DROP INDEX ideas_stats_cells;
