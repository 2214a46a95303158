DROP INDEX ideas_stats_cells;
