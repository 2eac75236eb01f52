-- Summaries of the stored reports (search/summaries.py): what the aggregate questions, adoption
-- timelines and corpus statistics count, in indexed tables. Every row belongs to one report
-- (through reports.id), except the labels of objects, which the reports' mentions share.

CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- One row per stored report. The jurisdiction columns are NULL for a report that could not be
-- placed; province and city are the divisions of that level at or above the jurisdiction.
CREATE TABLE IF NOT EXISTS reports (
  id            INTEGER PRIMARY KEY,
  report        TEXT NOT NULL UNIQUE,
  year          INTEGER,
  code          TEXT,
  name          TEXT,
  level         TEXT,
  province_code TEXT,
  province_name TEXT,
  city_code     TEXT,
  city_name     TEXT
);
CREATE INDEX IF NOT EXISTS reports_by_year ON reports (year);
CREATE INDEX IF NOT EXISTS reports_by_code ON reports (code);
CREATE INDEX IF NOT EXISTS reports_by_province ON reports (province_code, year);

-- The report's jurisdiction and every division above it: "lies in this area".
CREATE TABLE IF NOT EXISTS areas (
  report INTEGER NOT NULL,
  area   TEXT NOT NULL,
  PRIMARY KEY (report, area)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS areas_by_area ON areas (area, report);

-- Things mentioned (laws, documents, programs, initiatives): the IRI and the label answers use.
CREATE TABLE IF NOT EXISTS objects (
  id       INTEGER PRIMARY KEY,
  iri      TEXT NOT NULL UNIQUE,
  kind     TEXT NOT NULL,
  label    TEXT NOT NULL,
  label_en TEXT
);

-- One row per statement of the graph: a mention of an object in a report, with its relation, its
-- evidence sentence (start, end) and the mention's own offsets. The key is what names a statement
-- in the graph (ontology.statement_iri), so a mention the graph holds once is held once here.
CREATE TABLE IF NOT EXISTS mentions (
  report        INTEGER NOT NULL,
  object        INTEGER NOT NULL,
  relation      TEXT NOT NULL,
  mention_start INTEGER NOT NULL,
  mention_end   INTEGER NOT NULL,
  start         INTEGER NOT NULL,
  end           INTEGER NOT NULL,
  kind          TEXT NOT NULL,
  PRIMARY KEY (report, object, relation, mention_start)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mentions_by_object ON mentions (object, report);
-- Covers what an answer counts per report (search/questions/grouped.py): one index range per
-- (object, relation), reports in order, sentences without a look-up of the row.
CREATE INDEX IF NOT EXISTS mentions_by_object_relation ON mentions (object, relation, report, start, end);
CREATE INDEX IF NOT EXISTS mentions_by_kind ON mentions (kind, object, report);

-- The text of each evidence sentence, once per report and span.
CREATE TABLE IF NOT EXISTS sentences (
  report INTEGER NOT NULL,
  start  INTEGER NOT NULL,
  end    INTEGER NOT NULL,
  text   TEXT NOT NULL,
  PRIMARY KEY (report, start, end)
) WITHOUT ROWID;
