package checks

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/roachdog/roachdog/cluster"
)

func TestSchemaParseIndkey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want []int
		err  bool
	}{
		{"2", []int{2}, false},
		{"2 3 1", []int{2, 3, 1}, false},
		{"{2,3}", []int{2, 3}, false},
		{"0 4", []int{0, 4}, false}, // expression column first
		{"", []int{}, false},
		{"2 x", nil, true},
	}
	for _, tc := range cases {
		got, err := schemaParseIndkey(tc.in)
		if (err != nil) != tc.err || (!tc.err && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("schemaParseIndkey(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// schemaTestTable: id(1) uuid, customer_id(2) uuid, created_at(3)
// timestamptz, crdb_region(4) region enum, status(5) text, seq(6) int8
// with a sequence default.
func schemaTestTable(indexes ...schemaIndex) *schemaTable {
	return &schemaTable{
		schema: "public", name: "orders", rows: -1,
		cols: map[int]schemaColumn{
			1: {name: "id", typ: "uuid", def: "gen_random_uuid()"},
			2: {name: "customer_id", typ: "uuid"},
			3: {name: "created_at", typ: "timestamptz", def: "now()"},
			4: {name: "crdb_region", typ: schemaRegionType, def: "default_to_database_primary_region(gateway_region())::public.crdb_internal_region"},
			5: {name: "status", typ: "text"},
			6: {name: "seq", typ: "int8", def: "nextval('public.orders_seq'::REGCLASS)"},
		},
		indexes: indexes,
	}
}

func TestSchemaFKSupported(t *testing.T) {
	t.Parallel()
	valid := func(name string, keys ...int) schemaIndex {
		return schemaIndex{name: name, keys: keys, valid: true}
	}
	cases := []struct {
		name  string
		fk    []int
		index schemaIndex
		want  bool
	}{
		{"exact", []int{2}, valid("i", 2), true},
		{"longer index", []int{2}, valid("i", 2, 3), true},
		{"not leading", []int{2}, valid("i", 3, 2), false},
		{"two columns any order", []int{2, 5}, valid("i", 5, 2, 3), true},
		{"two columns, one not in the prefix", []int{2, 5}, valid("i", 2, 3, 5), false},
		{"index shorter than the key", []int{2, 5}, valid("i", 2), false},
		{"partial", []int{2}, schemaIndex{name: "i", keys: []int{2}, valid: true, partial: true}, false},
		{"invalid", []int{2}, schemaIndex{name: "i", keys: []int{2}}, false},
		{"expression first", []int{2}, valid("i", 0, 2), false},
		{"primary key", []int{2}, schemaIndex{name: "pk", keys: []int{2, 1}, primary: true, valid: true}, true},
		{"after implicit region", []int{2}, valid("i", 4, 2), true},
		{"region in the key itself", []int{4, 2}, valid("i", 4, 2), true},
		{"region then other", []int{2}, valid("i", 4, 3, 2), false},
	}
	for _, tc := range cases {
		tb := schemaTestTable(tc.index)
		fk := schemaFK{name: "fk", cols: tc.fk, refTable: "public.customers"}
		if got := schemaFKSupported(tb, &fk); got != tc.want {
			t.Errorf("%s: supported = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSchemaSequential(t *testing.T) {
	t.Parallel()
	cases := []struct {
		col  schemaColumn
		want bool
	}{
		{schemaColumn{typ: "timestamptz"}, true},
		{schemaColumn{typ: "timestamp"}, true},
		{schemaColumn{typ: "date"}, true},
		{schemaColumn{typ: "int8", def: "unique_rowid()"}, true},
		{schemaColumn{typ: "int8", def: "pg_catalog.unique_rowid()"}, true},
		{schemaColumn{typ: "int4", def: "nextval('public.t_id_seq'::regclass)"}, true},
		{schemaColumn{typ: "int8", def: "nextval('t_id_seq'::REGCLASS)"}, true},
		{schemaColumn{typ: "int8", def: "unordered_unique_rowid()"}, false},
		{schemaColumn{typ: "int8", def: "my_nextval()"}, false},
		{schemaColumn{typ: "int8"}, false},
		{schemaColumn{typ: "uuid", def: "gen_random_uuid()"}, false},
		{schemaColumn{typ: "text", def: "nextval('s')"}, false},
		{schemaColumn{typ: "int4", def: "mod(fnv32(crdb_internal.datums_to_bytes(ts)), 8:::INT8)"}, false},
	}
	for _, tc := range cases {
		if got := schemaSequential(tc.col); got != tc.want {
			t.Errorf("schemaSequential(%+v) = %v, want %v", tc.col, got, tc.want)
		}
	}
}

func TestSchemaAnalyseSequential(t *testing.T) {
	t.Parallel()
	tb := schemaTestTable(
		schemaIndex{name: "orders_pkey", keys: []int{1}, primary: true, unique: true, valid: true},
		schemaIndex{name: "by_time", keys: []int{3, 1}, valid: true},
		schemaIndex{name: "by_region_time", keys: []int{4, 3}, valid: true},
		schemaIndex{name: "by_seq", keys: []int{6}, unique: true, valid: true},
		schemaIndex{name: "sharded", keys: []int{3}, valid: true, sharded: true},
		schemaIndex{name: "building", keys: []int{3}},
		schemaIndex{name: "by_expr", keys: []int{0, 3}, valid: true},
		schemaIndex{name: "partial_time", keys: []int{3}, valid: true, partial: true},
	)
	var got []string
	for _, p := range schemaAnalyse("shop", tb, true) {
		got = append(got, p.kind+" "+p.object+" "+strings.Join(p.keys, ","))
	}
	want := []string{
		"sequential_key_index by_time created_at,id",
		"sequential_key_index by_region_time created_at",
		"sequential_key_index by_seq seq",
		"sequential_key_index partial_time created_at",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n got %q\nwant %q", got, want)
	}
	if ps := schemaAnalyse("shop", tb, false); len(ps) != 0 {
		t.Errorf("PostgreSQL: sequential problems reported: %v", ps)
	}
}

func TestSchemaFixSequential(t *testing.T) {
	t.Parallel()
	pk := schemaIndex{name: "orders_pkey", primary: true, unique: true, valid: true}
	uniq := schemaIndex{name: "Orders By Time", unique: true, valid: true}
	cases := []struct {
		name    string
		version string
		index   *schemaIndex
		keys    []string
		want    string
	}{
		{"primary, current", "v23.2.0", &pk, []string{"created_at", "id"},
			"ALTER TABLE shop.public.orders ALTER PRIMARY KEY USING COLUMNS (created_at, id) USING HASH;"},
		{"primary, unknown version", "", &pk, []string{"created_at"},
			"ALTER TABLE shop.public.orders ALTER PRIMARY KEY USING COLUMNS (created_at) USING HASH;"},
		{"unique secondary, v21.2", "v21.2.3", &uniq, []string{"created_at", "order"},
			"SET experimental_enable_hash_sharded_indexes = on;\n" +
				"CREATE UNIQUE INDEX ON shop.public.orders (created_at, \"order\") USING HASH WITH BUCKET_COUNT = 8;\n" +
				"DROP INDEX shop.public.orders@\"Orders By Time\";"},
		{"secondary, v22.1", "v22.1.0", &uniq, []string{"created_at"},
			"CREATE UNIQUE INDEX ON shop.public.orders (created_at) USING HASH;\n" +
				"DROP INDEX shop.public.orders@\"Orders By Time\";"},
	}
	for _, tc := range cases {
		var v cluster.Version
		if tc.version != "" {
			var err error
			if v, err = cluster.ParseVersion(tc.version); err != nil {
				t.Fatal(err)
			}
		}
		p := schemaProblem{kind: schemaProblemSequential, db: "shop", schema: "public", table: "orders",
			object: tc.index.name, index: tc.index, keys: tc.keys}
		if got := schemaFixSequential(p, v); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

func TestSchemaIdent(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"orders":      "orders",
		"order_items": "order_items",
		"_x1":         "_x1",
		"Orders":      `"Orders"`,
		"order":       `"order"`,
		"user":        `"user"`,
		"my table":    `"my table"`,
		"1st":         `"1st"`,
		`a"b`:         `"a""b"`,
	}
	for in, want := range cases {
		if got := schemaIdent(in); got != want {
			t.Errorf("schemaIdent(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestTruncateText(t *testing.T) {
	t.Parallel()
	if got := truncateText("short", 10); got != "short" {
		t.Errorf("got %q", got)
	}
	got := truncateText(strings.Repeat("é", 60), 100)
	if len(got) > 100 || !strings.HasSuffix(got, "…") || !strings.HasPrefix(got, "éé") {
		t.Errorf("truncateText: %q (%d bytes)", got, len(got))
	}
	for _, r := range strings.TrimSuffix(got, "…") {
		if r != 'é' {
			t.Fatalf("cut inside a character: %q", got)
		}
	}
}

func TestSchemaErrors(t *testing.T) {
	t.Parallel()
	var errs schemaErrors
	for i := range 8 {
		errs = append(errs, fmt.Errorf("database d%d: read columns: %w", i, &cluster.AccessError{User: "u", Hint: "h", Err: &pgconn.PgError{Code: "42501"}}))
	}
	want := "database d0: read columns: SQL user u is not allowed:  (SQLSTATE 42501); to fix, run as an admin: h; " +
		"database d1: read columns: SQL user u is not allowed:  (SQLSTATE 42501); to fix, run as an admin: h; " +
		"database d2: read columns: SQL user u is not allowed:  (SQLSTATE 42501); to fix, run as an admin: h; " +
		"database d3: read columns: SQL user u is not allowed:  (SQLSTATE 42501); to fix, run as an admin: h; " +
		"database d4: read columns: SQL user u is not allowed:  (SQLSTATE 42501); to fix, run as an admin: h; and 3 more"
	if got := errs.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	var access *cluster.AccessError
	if !errors.As(error(errs), &access) {
		t.Error("errors.As cannot reach the AccessError")
	}
}
