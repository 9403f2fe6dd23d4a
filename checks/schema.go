package checks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.yaml.in/yaml/v3"

	"github.com/roachdog/roachdog/cluster"
	"github.com/roachdog/roachdog/emit"
	"github.com/roachdog/roachdog/internal/yamlx"
)

// SchemaDefaultInterval is the schema check's suggested interval: schemas
// change slowly and the catalog queries walk every table of every database.
const SchemaDefaultInterval = time.Hour

// SchemaOptions configures the schema check.
type SchemaOptions struct {
	// Databases limits the check to these databases. Empty: every database
	// but system on CockroachDB; on PostgreSQL only the connected database
	// can be read, whatever the list says.
	Databases []string
	// Tables limits the report to these tables, written
	// "database.schema.table" (e.g. "shop.public.orders"). Empty: every
	// table.
	Tables []string
	// MinRows reports only tables with at least this many rows, as the
	// table statistics estimate them (crdb_internal.table_row_statistics on
	// CockroachDB, pg_class.reltuples on PostgreSQL). Tables without
	// statistics are reported. Zero: every table.
	MinRows int64
	// MaxEvents caps the events sent in one run (one per newly found
	// problem); the rest are summed up in one more event. Default 20.
	MaxEvents int
	// Now is the clock of events; default time.Now.
	Now func() time.Time
}

func init() {
	Register(Registration[SchemaOptions]{
		Name: schemaCheckName, SQL: true, Interval: time.Hour, Timeout: time.Minute,
		Doc:      "schema problems: foreign keys without an index, indexes on sequential keys",
		Defaults: func() SchemaOptions { return SchemaOptions{MaxEvents: schemaDefaultMaxEvents} },
		Keys: []yamlx.Key[SchemaOptions]{{
			Name: "databases", DefaultText: "all but `system`",
			Doc: "analyse only these databases",
			Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *SchemaOptions) {
				o.Databases = decodeNames(d, v, p, false)
			},
		}, {
			Name: "tables", DefaultText: "all",
			Doc: "report only these tables, written `database.schema.table`",
			Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *SchemaOptions) {
				o.Tables = decodeNames(d, v, p, true)
			},
		}, {
			Name: "min_rows", Default: "0",
			Doc: "report only tables with at least this many rows (statistics estimate); tables without statistics are reported; 0 reports all",
			Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *SchemaOptions) {
				if n, ok := d.Integer(v, p, 0, 1<<62); ok {
					o.MinRows = n
				}
			},
		}, {
			Name: "max_events", Default: strconv.Itoa(schemaDefaultMaxEvents),
			Doc: "problem events per run; more are summed up in one",
			Decode: func(d *yamlx.Decoder, v *yaml.Node, p string, o *SchemaOptions) {
				d.IntIn(v, p, 1, 10_000, &o.MaxEvents)
			},
		}},
		New: func(o SchemaOptions, _ Schedule) (Check, error) { return NewSchema(o) },
	})
}

const (
	schemaCheckName        = "schema"
	schemaDefaultMaxEvents = 20

	schemaProblemFK         = "fk_without_index"
	schemaProblemSequential = "sequential_key_index"
)

// Schema is the schema check: foreign keys whose referencing columns no
// index starts with, and indexes led by a sequential column that are not
// hash sharded. One Schema serves one cluster.
type Schema struct {
	databases map[string]bool
	tables    map[string]bool
	minRows   int64
	maxEvents int
	now       func() time.Time

	// dbs is what the latest successful analysis of each database found.
	dbs map[string]*schemaDBState
	// Catalog shapes learnt from the server (SQLSTATE 42703 on the first
	// try): reset when the server version changes.
	shapeOf       string
	noKeyAtts     bool // pg_index has no indnkeyatts (CockroachDB before it was added)
	noShardedFlag bool // crdb_internal.table_indexes has no is_sharded
}

type schemaDBState struct {
	problems map[string]schemaProblem // by key
	reported map[string]bool          // tables whose gauges were sent last run
}

var _ Check = (*Schema)(nil)

// NewSchema validates the options.
func NewSchema(o SchemaOptions) (*Schema, error) {
	c := &Schema{
		minRows:   o.MinRows,
		maxEvents: o.MaxEvents,
		now:       o.Now,
		dbs:       make(map[string]*schemaDBState),
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.minRows < 0 {
		return nil, fmt.Errorf("schema: min_rows must not be negative, got %d", c.minRows)
	}
	switch {
	case c.maxEvents < 0:
		return nil, fmt.Errorf("schema: max_events must not be negative, got %d", c.maxEvents)
	case c.maxEvents == 0:
		c.maxEvents = schemaDefaultMaxEvents
	}
	if len(o.Databases) > 0 {
		c.databases = make(map[string]bool)
		for i, d := range o.Databases {
			if d == "" {
				return nil, fmt.Errorf("schema: databases[%d]: empty name", i)
			}
			c.databases[d] = true
		}
	}
	if len(o.Tables) > 0 {
		c.tables = make(map[string]bool)
		for i, name := range o.Tables {
			parts := strings.Split(name, ".")
			if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
				return nil, fmt.Errorf("schema: tables[%d]: %q is not database.schema.table", i, name)
			}
			c.tables[name] = true
		}
	}
	return c, nil
}

// Name returns "schema".
func (c *Schema) Name() string { return schemaCheckName }

// Run analyses every database's catalog.
func (c *Schema) Run(ctx context.Context, t *Target, s Sink) error {
	if err := needSQL(t, s, schemaCheckName); err != nil {
		return err
	}
	log := t.Log()
	var failures schemaErrors
	fail := func(err error) {
		log.Error("schema check query failed", "err", err)
		failures = append(failures, err)
	}
	dbs, info, err := c.listDatabases(ctx, t.SQL, log)
	if err != nil {
		reportQuery(s, schemaCheckName, err)
		return err
	}
	if raw := info.Version.String() + strconv.FormatBool(info.IsCockroach); raw != c.shapeOf {
		c.shapeOf, c.noKeyAtts, c.noShardedFlag = raw, false, false
	}
	// CockroachDB, or PostgreSQL emulating its catalog for tests (the
	// version then comes from crdb_internal.node_build_info).
	crdb := info.IsCockroach || !info.Version.IsZero()
	if !crdb {
		log.Debug("schema: not CockroachDB: sequential-key indexes not checked (no hash sharding on PostgreSQL)")
	}
	now := c.now()
	var problems []schemaProblem // newly found, for events
	analysed := 0
	seen := make(map[string]bool)
	for i, db := range dbs {
		if ctx.Err() != nil {
			// Out of time: the rest keep their state for the next run.
			for _, rest := range dbs[i:] {
				seen[rest] = true
			}
			fail(fmt.Errorf("%d databases not analysed (%s...): %w", len(dbs)-i, db, ctx.Err()))
			break
		}
		seen[db] = true
		found, errs, err := c.analyseDatabase(ctx, t.SQL, log, db, info, crdb)
		for _, e := range errs {
			fail(e)
		}
		if err != nil {
			// Keep what was known of this database: its problems must not
			// be announced again when the query works again.
			fail(err)
			continue
		}
		analysed++
		st := c.dbs[db]
		if st == nil {
			st = &schemaDBState{}
			c.dbs[db] = st
		}
		problems = append(problems, c.report(s, db, st, found, crdb)...)
	}
	for db := range c.dbs {
		if !seen[db] {
			delete(c.dbs, db) // dropped, or no longer configured
		}
	}
	c.sendEvents(s, problems, info, now)
	var qerr error
	if len(failures) > 0 {
		qerr = failures
	}
	reportQuery(s, schemaCheckName, qerr)
	if analysed == 0 && len(dbs) > 0 {
		return fmt.Errorf("no database could be analysed: %w", qerr)
	}
	return nil
}

// schemaErrors is several failures as one error (also used by the
// custom_queries check): messages joined by "; " on one line for the service
// check, the first few only, and every cause reachable by errors.As.
type schemaErrors []error

// schemaErrorsShown bounds the service check message when many databases
// (or queries) fail the same way.
const schemaErrorsShown = 5

func (e schemaErrors) Error() string {
	msgs := make([]string, 0, min(len(e), schemaErrorsShown)+1)
	for i, err := range e {
		if i == schemaErrorsShown {
			msgs = append(msgs, fmt.Sprintf("and %d more", len(e)-i))
			break
		}
		msgs = append(msgs, err.Error())
	}
	return strings.Join(msgs, "; ")
}

func (e schemaErrors) Unwrap() []error { return e }

// listDatabases returns the databases to analyse and what the server is.
func (c *Schema) listDatabases(ctx context.Context, db *cluster.DB, log *slog.Logger) ([]string, cluster.ServerInfo, error) {
	// First query: it also makes sure a connection exists, so that
	// Server() below knows the server.
	var current string
	if err := db.QueryRow(ctx, "SELECT current_database()").Scan(&current); err != nil {
		return nil, cluster.ServerInfo{}, fmt.Errorf("current database: %w", err)
	}
	info := db.Server()
	all := []string{current}
	if info.IsCockroach {
		// Catalog queries are scoped to one database: list them all.
		// pg_database needs no privilege and is outside the v26.1
		// allow_unsafe_internals gate.
		rows, err := db.Query(ctx, "SELECT datname FROM pg_catalog.pg_database WHERE datname <> 'system' ORDER BY datname")
		if err != nil {
			return nil, info, fmt.Errorf("list databases: %w", err)
		}
		all, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, info, fmt.Errorf("list databases: %w", err)
		}
	}
	if c.databases == nil {
		return all, info, nil
	}
	var out []string
	for _, d := range all {
		if c.databases[d] {
			out = append(out, d)
		}
	}
	if len(out) < len(c.databases) {
		var missing []string
		for d := range c.databases {
			if !slices.Contains(out, d) {
				missing = append(missing, d)
			}
		}
		sort.Strings(missing)
		if info.IsCockroach {
			log.Warn("schema: configured databases not on the server", "databases", missing)
		} else {
			// The server's database name goes in an attribute, which the
			// handler quotes, never in the message.
			log.Warn("schema: configured databases not readable: on PostgreSQL only the connected database is",
				"databases", missing, "connected_database", current)
		}
	}
	return out, info, nil
}

// Catalog model of one database, assembled from pg_catalog.
type schemaTable struct {
	oid     uint32
	schema  string
	name    string
	cols    map[int]schemaColumn // by attnum
	indexes []schemaIndex
	fks     []schemaFK
	rows    int64 // estimated; -1 unknown
}

type schemaColumn struct {
	name string
	typ  string // pg_type.typname: int8, timestamptz, crdb_internal_region...
	def  string // default expression, "" when none
}

type schemaIndex struct {
	name    string
	primary bool
	unique  bool
	keys    []int // key columns' attnums in order; 0 is an expression
	partial bool
	valid   bool
	sharded bool // crdb_internal.table_indexes.is_sharded
}

type schemaFK struct {
	name     string
	cols     []int
	refTable string // schema.table, or the oid when unknown
	onDelete string // pg_constraint.confdeltype: a, r, c, n, d
	onUpdate string
}

type schemaProblem struct {
	kind    string // schemaProblemFK or schemaProblemSequential
	db      string
	schema  string
	table   string
	object  string // constraint or index name
	columns []string
	fk      *schemaFK
	index   *schemaIndex
	keys    []string // sequential: the index's key columns, for the fix
}

func (p schemaProblem) key() string {
	return p.kind + "\x00" + p.db + "\x00" + p.schema + "\x00" + p.table + "\x00" + p.object
}

func (p schemaProblem) tableKey() string { return p.schema + "." + p.table }

// System schemas (and the emulated CockroachDB schemas of the test
// catalogs, crdb_internal and system, which are databases or virtual
// schemas on CockroachDB) hold no user tables to analyse.
const schemaUserTables = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'crdb_internal', 'pg_extension', 'pg_toast', 'system')
	AND n.nspname NOT LIKE 'pg\_temp%' AND n.nspname NOT LIKE 'pg\_toast\_temp%'`

// analyseDatabase reads one database's catalog and returns its problems.
// errs are failures of optional queries (the analysis went on without
// them); err means the database could not be analysed.
func (c *Schema) analyseDatabase(ctx context.Context, db *cluster.DB, log *slog.Logger, name string, info cluster.ServerInfo, crdb bool) (found []schemaProblem, errs []error, err error) {
	// "db".pg_catalog.x reads database db's catalog on CockroachDB; on
	// PostgreSQL the prefix must be the connected database, which it is.
	p := pgx.Identifier{name}.Sanitize() + "."
	tables := make(map[uint32]*schemaTable)

	// Catalog columns are cast to exactly the Go type they are scanned into
	// (or read as text): CockroachDB's pg_catalog may send other bytes than
	// the declared type (conkey below), which only a cast makes reliable.
	// attnum is int2, scanned as int64.
	rows, err := db.Query(ctx, `SELECT c.oid, n.nspname, c.relname, a.attnum::INT8, a.attname, t.typname,
	pg_get_expr(d.adbin, d.adrelid)
FROM `+p+`pg_catalog.pg_class AS c
JOIN `+p+`pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
JOIN `+p+`pg_catalog.pg_attribute AS a ON a.attrelid = c.oid
JOIN `+p+`pg_catalog.pg_type AS t ON t.oid = a.atttypid
LEFT JOIN `+p+`pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND `+schemaUserTables)
	if err != nil {
		return nil, nil, fmt.Errorf("database %s: read columns: %w", name, err)
	}
	var oid uint32
	var nsp, rel, att, typ string
	var attnum int64
	var def *string
	if _, err := pgx.ForEachRow(rows, []any{&oid, &nsp, &rel, &attnum, &att, &typ, &def}, func() error {
		tb := tables[oid]
		if tb == nil {
			tb = &schemaTable{oid: oid, schema: nsp, name: rel, cols: make(map[int]schemaColumn), rows: -1}
			tables[oid] = tb
		}
		col := schemaColumn{name: att, typ: typ}
		if def != nil {
			col.def = *def
		}
		tb.cols[int(attnum)] = col
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("database %s: read columns: %w", name, err)
	}
	if len(tables) == 0 {
		return nil, nil, nil
	}

	if err := c.readIndexes(ctx, db, p, tables); err != nil {
		return nil, nil, fmt.Errorf("database %s: read indexes: %w", name, err)
	}

	// CockroachDB declares these columns nullable: COALESCE keeps a
	// surprising NULL from failing the whole scan. conkey is declared
	// smallint[] (OID 1005), but CockroachDB (v20.2 at least) sends its
	// elements as 8-byte integers in binary format, which pgx refuses
	// ("int2: invalid length: expected 2 bytes, got 8"); cast to INT8[],
	// the type scanned, it is int8[] with 8-byte elements on both servers.
	rows, err = db.Query(ctx, `SELECT con.conrelid, COALESCE(con.conname, ''), con.conkey::INT8[], con.confrelid,
	COALESCE(con.confdeltype::TEXT, ''), COALESCE(con.confupdtype::TEXT, '')
FROM `+p+`pg_catalog.pg_constraint AS con
WHERE con.contype = 'f'`)
	if err != nil {
		return nil, nil, fmt.Errorf("database %s: read foreign keys: %w", name, err)
	}
	var conrel, ref uint32
	var conname, del, upd string
	var conkey []int64
	if _, err := pgx.ForEachRow(rows, []any{&conrel, &conname, &conkey, &ref, &del, &upd}, func() error {
		tb := tables[conrel]
		if tb == nil {
			return nil
		}
		fk := schemaFK{name: conname, onDelete: del, onUpdate: upd, refTable: strconv.FormatUint(uint64(ref), 10)}
		if rt := tables[ref]; rt != nil {
			fk.refTable = rt.schema + "." + rt.name
		}
		for _, k := range conkey {
			fk.cols = append(fk.cols, int(k))
		}
		tb.fks = append(tb.fks, fk)
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("database %s: read foreign keys: %w", name, err)
	}

	if crdb && !c.noShardedFlag {
		if err := c.readSharded(ctx, db, p, tables); err != nil {
			if schemaUndefinedColumn(err) {
				// Before is_sharded existed: a hash-sharded index is still
				// recognised by its leading shard column (see
				// schemaAnalyse).
				log.Info("schema: crdb_internal.table_indexes has no is_sharded column; hash-sharded indexes recognised by their shard column", "version", info.Version.String())
				c.noShardedFlag = true
			} else {
				errs = append(errs, fmt.Errorf("database %s: read hash-sharded indexes: %w", name, err))
			}
		}
	}
	if c.minRows > 0 {
		if err := c.readRowCounts(ctx, db, p, tables, crdb); err != nil {
			// Sizes unknown: every table is reported rather than none.
			errs = append(errs, fmt.Errorf("database %s: read row estimates: %w", name, err))
		}
	}

	oids := make([]uint32, 0, len(tables))
	for oid := range tables {
		oids = append(oids, oid)
	}
	sort.Slice(oids, func(i, j int) bool {
		a, b := tables[oids[i]], tables[oids[j]]
		if a.schema != b.schema {
			return a.schema < b.schema
		}
		return a.name < b.name
	})
	for _, oid := range oids {
		tb := tables[oid]
		if !c.wanted(name, tb) {
			continue
		}
		found = append(found, schemaAnalyse(name, tb, crdb)...)
	}
	return found, errs, nil
}

func (c *Schema) wanted(db string, tb *schemaTable) bool {
	if c.tables != nil && !c.tables[db+"."+tb.schema+"."+tb.name] {
		return false
	}
	return c.minRows <= 0 || tb.rows < 0 || tb.rows >= c.minRows
}

func (c *Schema) readIndexes(ctx context.Context, db *cluster.DB, p string, tables map[uint32]*schemaTable) error {
	for {
		// indnkeyatts: how many of indkey are key columns, the rest being
		// STORING/INCLUDE columns. CockroachDB added it after v20.2; v20.2
		// lists key columns only in indkey (its pg_index has no notion of
		// stored columns), so "all of indkey" is right there.
		keyAtts := "i.indnkeyatts::INT8" // int2, scanned as int64
		if c.noKeyAtts {
			keyAtts = "NULL::INT8"
		}
		rows, err := db.Query(ctx, `SELECT i.indrelid, ic.relname, COALESCE(i.indisprimary, false), COALESCE(i.indisunique, false),
	i.indkey::TEXT, `+keyAtts+`, i.indpred IS NOT NULL, COALESCE(i.indisvalid, true)
FROM `+p+`pg_catalog.pg_index AS i
JOIN `+p+`pg_catalog.pg_class AS ic ON ic.oid = i.indexrelid`)
		if err != nil {
			if !c.noKeyAtts && schemaUndefinedColumn(err) {
				c.noKeyAtts = true
				continue
			}
			return err
		}
		for rows.Next() {
			var rel uint32
			var idx schemaIndex
			// int2vector, read as text (cast above): pgx has no codec for
			// it, and CockroachDB builds it as an int8 array.
			var indkey *string
			var nkey *int64
			if err := rows.Scan(&rel, &idx.name, &idx.primary, &idx.unique, &indkey, &nkey, &idx.partial, &idx.valid); err != nil {
				rows.Close()
				return err
			}
			tb := tables[rel]
			if tb == nil || indkey == nil {
				continue
			}
			keys, err := schemaParseIndkey(*indkey)
			if err != nil {
				rows.Close()
				return fmt.Errorf("index %s: %w", idx.name, err)
			}
			if nkey != nil && *nkey >= 0 && int(*nkey) < len(keys) {
				keys = keys[:*nkey]
			}
			idx.keys = keys
			tb.indexes = append(tb.indexes, idx)
		}
		rows.Close()
		return rows.Err()
	}
}

func (c *Schema) readSharded(ctx context.Context, db *cluster.DB, p string, tables map[uint32]*schemaTable) error {
	rows, err := db.Query(ctx, `SELECT descriptor_id, index_name FROM `+p+`crdb_internal.table_indexes WHERE is_sharded`)
	if err != nil {
		return err
	}
	var id *int64
	var index string
	_, err = pgx.ForEachRow(rows, []any{&id, &index}, func() error {
		if id == nil || *id < 0 || *id > int64(^uint32(0)) {
			return nil
		}
		// On CockroachDB a table's pg_class oid is its descriptor id.
		if tb := tables[uint32(*id)]; tb != nil {
			for i := range tb.indexes {
				if tb.indexes[i].name == index {
					tb.indexes[i].sharded = true
				}
			}
		}
		return nil
	})
	return err
}

func (c *Schema) readRowCounts(ctx context.Context, db *cluster.DB, p string, tables map[uint32]*schemaTable, crdb bool) error {
	// table_row_statistics: the latest automatic statistics (as of 10s
	// ago, no contention), current database only. PostgreSQL: reltuples,
	// -1 (or 0 before v14) until the table is first analysed.
	q := `SELECT table_id, estimated_row_count FROM ` + p + `crdb_internal.table_row_statistics`
	if !crdb {
		q = `SELECT c.oid::INT8, CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::INT8 END
FROM ` + p + `pg_catalog.pg_class AS c WHERE c.relkind IN ('r', 'p')`
	}
	rows, err := db.Query(ctx, q)
	if err != nil {
		return err
	}
	var id int64
	var n *int64
	_, err = pgx.ForEachRow(rows, []any{&id, &n}, func() error {
		if id < 0 || id > int64(^uint32(0)) || n == nil {
			return nil
		}
		if tb := tables[uint32(id)]; tb != nil {
			tb.rows = *n
		}
		return nil
	})
	return err
}

func schemaUndefinedColumn(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42703"
}

// schemaParseIndkey parses pg_index.indkey, an int2vector read as text:
// "2 3" as PostgreSQL prints it; "{2,3}" is accepted too.
func schemaParseIndkey(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
	out := make([]int, 0, len(fields))
	for _, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("parse indkey %q: %w", s, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// schemaRegionType is the enum of the crdb_region column CockroachDB puts
// first in every index of a REGIONAL BY ROW table (implicit partitioning).
const schemaRegionType = "crdb_internal_region"

// schemaLeading returns an index's key columns without leading implicit
// region columns: an index (crdb_region, customer_id) serves lookups on
// customer_id (one probe per region), and (crdb_region, created_at) is
// still a sequential key within each region.
func schemaLeading(tb *schemaTable, keys []int, keep map[int]bool) []int {
	for len(keys) > 0 && !keep[keys[0]] && tb.cols[keys[0]].typ == schemaRegionType {
		keys = keys[1:]
	}
	return keys
}

// schemaAnalyse applies both rules to one table.
//
// Foreign keys: a foreign key on columns (c1..cN) is supported when a valid,
// non-partial index of the referencing table (primary key included) has
// {c1..cN} as its first N key columns, in any order: the check that runs on
// every DELETE or key UPDATE of the referenced row (and ON DELETE CASCADE /
// SET NULL) looks the child rows up by equality on all N columns, which any
// such prefix serves. Otherwise that lookup scans the whole child table.
//
// Sequential keys (CockroachDB only): a valid index whose first key column
// is a TIMESTAMP, TIMESTAMPTZ or DATE, or an integer whose default is
// unique_rowid() or nextval(...) (SERIAL, and the hidden rowid of a table
// without a primary key), sends every insert to the same range: one
// leaseholder takes all the writes. Hash-sharded indexes are led by their
// shard column, so they never match; is_sharded excludes them explicitly
// where CockroachDB reports it.
func schemaAnalyse(db string, tb *schemaTable, crdb bool) []schemaProblem {
	var out []schemaProblem
	for i := range tb.fks {
		fk := &tb.fks[i]
		if schemaFKSupported(tb, fk) {
			continue
		}
		out = append(out, schemaProblem{
			kind: schemaProblemFK, db: db, schema: tb.schema, table: tb.name,
			object: fk.name, columns: schemaColNames(tb, fk.cols), fk: fk,
		})
	}
	if !crdb {
		return out
	}
	for i := range tb.indexes {
		idx := &tb.indexes[i]
		if !idx.valid || idx.sharded {
			continue
		}
		keys := schemaLeading(tb, idx.keys, nil)
		if len(keys) == 0 {
			continue
		}
		col, ok := tb.cols[keys[0]]
		if !ok || !schemaSequential(col) {
			continue
		}
		out = append(out, schemaProblem{
			kind: schemaProblemSequential, db: db, schema: tb.schema, table: tb.name,
			object: idx.name, columns: []string{col.name}, index: idx, keys: schemaColNames(tb, keys),
		})
	}
	return out
}

func schemaFKSupported(tb *schemaTable, fk *schemaFK) bool {
	if len(fk.cols) == 0 {
		return true // nothing to look up
	}
	want := make(map[int]bool, len(fk.cols))
	for _, c := range fk.cols {
		want[c] = true
	}
	for _, idx := range tb.indexes {
		if idx.partial || !idx.valid {
			continue
		}
		keys := schemaLeading(tb, idx.keys, want)
		if len(keys) < len(want) {
			continue
		}
		match := true
		for _, k := range keys[:len(want)] {
			if !want[k] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// schemaSequentialDefault matches unique_rowid() and nextval(...), not
// unordered_unique_rowid() (CockroachDB's non-sequential variant).
var schemaSequentialDefault = regexp.MustCompile(`(?i)(^|[^a-z0-9_.])(pg_catalog\.)?(unique_rowid|nextval)\s*\(`)

func schemaSequential(col schemaColumn) bool {
	switch col.typ {
	case "timestamp", "timestamptz", "date":
		return true
	case "int2", "int4", "int8":
		return schemaSequentialDefault.MatchString(col.def)
	}
	return false
}

func schemaColNames(tb *schemaTable, attnums []int) []string {
	out := make([]string, 0, len(attnums))
	for _, a := range attnums {
		if c, ok := tb.cols[a]; ok {
			out = append(out, c.name)
		} else {
			out = append(out, "(expression)")
		}
	}
	return out
}

// report sends the gauges for one analysed database and returns the
// problems not known before.
func (c *Schema) report(s Sink, db string, st *schemaDBState, found []schemaProblem, crdb bool) []schemaProblem {
	type counts struct{ fk, seq int }
	per := make(map[string]*counts)
	var order []string
	problems := make(map[string]schemaProblem, len(found))
	var fresh []schemaProblem
	for _, p := range found {
		k := p.tableKey()
		if per[k] == nil {
			per[k] = &counts{}
			order = append(order, k)
		}
		if p.kind == schemaProblemFK {
			per[k].fk++
		} else {
			per[k].seq++
		}
		problems[p.key()] = p
		if _, known := st.problems[p.key()]; !known {
			fresh = append(fresh, p)
		}
	}
	// A table fixed since the last run gets one zero, so graphs and
	// monitors see the fix rather than a series that stops.
	var fixed []string
	for k := range st.reported {
		if per[k] == nil {
			fixed = append(fixed, k)
		}
	}
	sort.Strings(fixed)
	send := func(table string, n counts) {
		schemaMetricFK.Send(s, float64(n.fk), db, table)
		if crdb {
			schemaMetricSequential.Send(s, float64(n.seq), db, table)
		}
	}
	for _, k := range order {
		send(k, *per[k])
	}
	for _, k := range fixed {
		send(k, counts{})
	}
	st.problems = problems
	st.reported = make(map[string]bool, len(order))
	for _, k := range order {
		st.reported[k] = true
	}
	return fresh
}

func (c *Schema) sendEvents(s Sink, problems []schemaProblem, info cluster.ServerInfo, now time.Time) {
	for i, p := range problems {
		if i == c.maxEvents {
			rest := problems[i:]
			var lines []string
			for _, r := range rest {
				lines = append(lines, "- "+schemaTitle(r))
			}
			schemaSummaryEvent.Send(s, Event{
				Title:          fmt.Sprintf("%d more schema problems found", len(rest)),
				Text:           truncateText(strings.Join(lines, "\n"), schemaMaxEventText),
				AggregationKey: "schema",
				AlertType:      WarningAlert,
				Timestamp:      now,
			}, "summary")
			return
		}
		schemaEvent.Send(s, Event{
			Title:          truncateText(schemaTitle(p), schemaMaxEventTitle),
			Text:           truncateText(schemaText(p, info), schemaMaxEventText),
			AggregationKey: "schema " + p.db + "." + p.tableKey(),
			AlertType:      WarningAlert,
			Timestamp:      now,
		}, p.db, p.tableKey(), p.kind)
	}
}

// Datadog's limits on event titles and texts.
const (
	schemaMaxEventTitle = 100
	schemaMaxEventText  = 4000
)

func schemaTitle(p schemaProblem) string {
	table := schemaQualified(p.db, p.schema, p.table)
	if p.kind == schemaProblemFK {
		return fmt.Sprintf("Foreign key without index on %s (%s)", table, strings.Join(p.columns, ", "))
	}
	return fmt.Sprintf("Sequential key index %s@%s (%s)", table, p.object, strings.Join(p.columns, ", "))
}

func schemaText(p schemaProblem, info cluster.ServerInfo) string {
	table := schemaQualified(p.db, p.schema, p.table)
	var b strings.Builder
	if p.kind == schemaProblemFK {
		fmt.Fprintf(&b, "Foreign key %s of %s on (%s) references %s, and no index of %s starts with these columns. "+
			"Every DELETE of a %s row, or UPDATE of its key, checks %s (ON DELETE %s) by scanning the whole table.\n\n"+
			"Suggested fix:\n\n%s",
			p.object, table, strings.Join(p.columns, ", "), schemaQualifiedRef(p.db, p.fk.refTable), table,
			schemaQualifiedRef(p.db, p.fk.refTable), table, schemaAction(p.fk.onDelete),
			schemaFixFK(p))
		return b.String()
	}
	what := "Index"
	if p.index.primary {
		what = "Primary key"
	}
	fmt.Fprintf(&b, "%s %s of %s starts with %s, a sequential value, and is not hash sharded: "+
		"every insert lands at the end of the same range, so one node takes all the writes (a hotspot).\n\n"+
		"Suggested fix (or key the table by a UUID with DEFAULT gen_random_uuid()):\n\n%s",
		what, p.object, table, p.columns[0], schemaFixSequential(p, info.Version))
	return b.String()
}

func schemaAction(code string) string {
	switch code {
	case "c":
		return "CASCADE"
	case "n":
		return "SET NULL"
	case "d":
		return "SET DEFAULT"
	case "r":
		return "RESTRICT"
	default:
		return "NO ACTION"
	}
}

func schemaFixFK(p schemaProblem) string {
	return fmt.Sprintf("CREATE INDEX ON %s (%s);", schemaQualified(p.db, p.schema, p.table), schemaIdentList(p.columns))
}

// schemaFixSequential suggests a hash-sharded replacement. v22.1 made hash
// sharding GA with a default bucket count; before, it needed a session
// flag and an explicit bucket count. An unknown version gets the current
// syntax.
func schemaFixSequential(p schemaProblem, v cluster.Version) string {
	table := schemaQualified(p.db, p.schema, p.table)
	hash := "USING HASH"
	pre := ""
	if !v.IsZero() && !v.AtLeast(22, 1) {
		hash = "USING HASH WITH BUCKET_COUNT = 8"
		pre = "SET experimental_enable_hash_sharded_indexes = on;\n"
	}
	cols := schemaIdentList(p.keys)
	if p.index.primary {
		return fmt.Sprintf("%sALTER TABLE %s ALTER PRIMARY KEY USING COLUMNS (%s) %s;", pre, table, cols, hash)
	}
	unique := ""
	if p.index.unique {
		unique = "UNIQUE "
	}
	return fmt.Sprintf("%sCREATE %sINDEX ON %s (%s) %s;\nDROP INDEX %s@%s;",
		pre, unique, table, cols, hash, table, schemaIdent(p.object))
}

func schemaQualified(db, schema, table string) string {
	return schemaIdent(db) + "." + schemaIdent(schema) + "." + schemaIdent(table)
}

// schemaQualifiedRef qualifies "schema.table" (as stored in schemaFK) with
// the database; an unresolved oid is shown as is.
func schemaQualifiedRef(db, ref string) string {
	schema, table, ok := strings.Cut(ref, ".")
	if !ok {
		return "table with oid " + ref
	}
	return schemaQualified(db, schema, table)
}

func schemaIdentList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = schemaIdent(n)
	}
	return strings.Join(out, ", ")
}

var schemaPlainIdent = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// schemaReserved are reserved words likely to name a table or column; they
// must be quoted in the suggested statements.
var schemaReserved = map[string]bool{
	"all": true, "analyse": true, "analyze": true, "and": true, "any": true, "array": true, "as": true, "asc": true,
	"both": true, "case": true, "cast": true, "check": true, "collate": true, "column": true, "constraint": true,
	"create": true, "current_date": true, "current_time": true, "current_timestamp": true, "current_user": true,
	"default": true, "desc": true, "distinct": true, "do": true, "else": true, "end": true, "except": true,
	"false": true, "fetch": true, "for": true, "foreign": true, "from": true, "grant": true, "group": true,
	"having": true, "in": true, "index": true, "intersect": true, "into": true, "leading": true, "limit": true,
	"localtime": true, "localtimestamp": true, "not": true, "null": true, "offset": true, "on": true, "only": true,
	"or": true, "order": true, "placing": true, "primary": true, "references": true, "returning": true,
	"select": true, "session_user": true, "some": true, "symmetric": true, "table": true, "then": true, "to": true,
	"trailing": true, "true": true, "union": true, "unique": true, "user": true, "using": true, "variadic": true,
	"when": true, "where": true, "window": true, "with": true, "family": true,
}

// schemaIdent quotes an identifier only when it needs it, so the suggested
// statements read like hand-written ones.
func schemaIdent(s string) string {
	if schemaPlainIdent.MatchString(s) && !schemaReserved[s] {
		return s
	}
	return pgx.Identifier{s}.Sanitize()
}

// What the schema check sends.
var (
	schemaMetricFK = emit.Gauge{Name: "schema.fk_without_index", Unit: "key", Tags: emit.Keys("database", "table"), PerNode: 1, ClusterLevel: true,
		Description: "Foreign keys of the table whose referencing columns no index starts with (each DELETE of a referenced row scans the table); sent for tables with a problem, and once as 0 after the fix.",
	}.Register(schemaCheckName)
	schemaMetricSequential = emit.Gauge{Name: "schema.sequential_key_indexes", Unit: "index", Tags: emit.Keys("database", "table"), PerNode: 1, ClusterLevel: true,
		Description: "Indexes of the table led by a sequential column (timestamp, date, unique_rowid() or sequence default) that are not hash sharded: a write hotspot; sent for tables with a problem, and once as 0 after the fix (CockroachDB only).",
	}.Register(schemaCheckName)
	schemaEvent = emit.EventSpec{Name: "schema.problem", Tags: emit.Keys("database", "table", "problem"), PerNode: 1, ClusterLevel: true,
		Description: "A newly found schema problem (problem:fk_without_index or sequential_key_index) with the suggested CREATE INDEX or USING HASH statement.",
	}.Register(schemaCheckName)
	// schemaSummaryEvent stands for the problems beyond max_events, which
	// belong to no one table.
	schemaSummaryEvent = schemaEvent.Only("problem")
)
