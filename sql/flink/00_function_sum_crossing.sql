-- AG_SUM_CROSSING(value, event_time, ceiling): an aggregate used as a keyed OVER, returning per
-- row ROW<total, first_event_time, crossed>; crossed is TRUE on the one row that first takes the
-- running total above the ceiling. Java (jobs/jvm/io/agentgauge/flink/SumCrossing.java).
--   1.0 (ceiling 2) -> total 1.0, crossed FALSE; 1.5 -> 2.5, TRUE; 0.5 -> 3.0, FALSE
CREATE TEMPORARY SYSTEM FUNCTION ag_sum_crossing AS 'io.agentgauge.flink.SumCrossing' LANGUAGE JAVA
