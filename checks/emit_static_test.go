package checks

// Static tests of how the checks send: every datagram goes through an emit
// definition, and every call gives the definition as many tag values as it
// has keys. They read the package's source, so a branch no test runs is
// held to the catalog too.

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// sinkCallsAllowed are the functions that call a Sink's methods directly,
// and why that is safe.
var sinkCallsAllowed = map[string]string{
	// A Sink that watches and passes everything on.
	"Outcome.Gauge":        "passes the gauge on",
	"Outcome.ServiceCheck": "passes the service check on",
	// The vars check's per-node metrics: their tags carry the node's
	// locality tiers (keys no fixed list names), and their names come only
	// from the family table, which registers them (vars_metrics.go).
	"Vars.Run": "family table points, node.up and node.can_scrape",
}

// untypedRegistrations are the functions that register catalog entries
// without a typed definition (emit.Register): only a table that is itself
// the definition of what is sent.
var untypedRegistrations = map[string]string{
	"vars_metrics.go init": "the /_status/vars family table",
}

// sinkMethods are the Sink's methods.
var sinkMethods = map[string]bool{"Gauge": true, "Count": true, "Distribution": true, "ServiceCheck": true, "Event": true}

type checksSource struct {
	fset  *token.FileSet
	files map[string]*ast.File // by base name; non-test files only
}

func parseChecksSource(t *testing.T) checksSource {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	src := checksSource{fset: token.NewFileSet(), files: map[string]*ast.File{}}
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(src.fset, n, b, 0)
		if err != nil {
			t.Fatal(err)
		}
		src.files[n] = f
	}
	return src
}

// funcName is "Recv.Name" for a method, "Name" for a function.
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	typ := fd.Recv.List[0].Type
	if st, ok := typ.(*ast.StarExpr); ok {
		typ = st.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// imported lists the names a file gives its imports.
func imported(f *ast.File) map[string]bool {
	out := map[string]bool{}
	for _, im := range f.Imports {
		p := strings.Trim(im.Path.Value, `"`)
		name := p[strings.LastIndex(p, "/")+1:]
		if strings.HasPrefix(name, "v") && strings.Contains(p, "/") { // github.com/jackc/pgx/v5
			q := strings.TrimSuffix(p, "/"+name)
			name = q[strings.LastIndex(q, "/")+1:]
		}
		if im.Name != nil {
			name = im.Name.Name
		}
		out[name] = true
	}
	return out
}

// TestChecksSendThroughDefinitions: no check calls a Sink's methods with a
// name of its own, outside the few places listed in sinkCallsAllowed; it
// sends through emit definitions, whose names and tag keys are the
// catalog's.
func TestChecksSendThroughDefinitions(t *testing.T) {
	t.Parallel()
	src := parseChecksSource(t)
	used := map[string]bool{}
	for name, f := range src.files {
		pkgs := imported(f)
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			fn := funcName(fd)
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if f := exprText(call.Fun); f == "emit.Register" {
					if _, ok := untypedRegistrations[name+" "+fn]; !ok {
						t.Errorf("%s: %s calls %s: register typed definitions (emit.Gauge{...}.Register(check)), whose Send the catalog then describes",
							src.fset.Position(call.Pos()), fn, f)
					}
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || !sinkMethods[sel.Sel.Name] {
					return true
				}
				if id, ok := sel.X.(*ast.Ident); ok && pkgs[id.Name] {
					return true // strings.Count and the like
				}
				if _, ok := sinkCallsAllowed[fn]; ok {
					used[fn] = true
					return true
				}
				t.Errorf("%s: %s calls %s directly: send through an emit definition (emit.Gauge{...}.Register(check))",
					src.fset.Position(call.Pos()), fn, sel.Sel.Name)
				return true
			})
		}
	}
	for fn := range sinkCallsAllowed {
		if !used[fn] {
			t.Errorf("sinkCallsAllowed lists %s, which calls no Sink method: remove it", fn)
		}
	}
}

// defInfo is what the test knows of a package-level definition.
type defInfo struct {
	kind string // Gauge, Count, Distribution, ServiceCheck, EventSpec
	keys int
}

// sendFixedArgs is how many arguments Send takes before the tag values.
var sendFixedArgs = map[string]int{"Gauge": 2, "Count": 2, "Distribution": 2, "ServiceCheck": 3, "EventSpec": 2}

// unresolvedSends are calls whose definition is not a package-level
// variable, by function and receiver, with where their arity is checked.
var unresolvedSends = map[string]string{
	"TTL.reportTable d":                "ttlTableMetrics, all tagged database, table (TestTTLTableMetrics)",
	"TTL.sweep d":                      "ttlTableMetrics, all tagged database, table (TestTTLTableMetrics)",
	"varsClusterAgg.emit x.m":          "vars_cluster.go's gauges, all untagged (varsClusterGauge)",
	"CustomQueries.send p.col.gauge":   "user-defined, SendTags",
	"CustomQueries.send p.col.counter": "user-defined, SendTags",
	"seriesMemory.sweep e.series":      "an emit.GaugeSeries: its tags were given to Series",
}

// TestDefinitionSendArity: every Send and Series call on a package-level
// definition gives as many tag values as the definition has keys (Send
// panics otherwise: this finds it before a run does).
func TestDefinitionSendArity(t *testing.T) {
	t.Parallel()
	src := parseChecksSource(t)
	defs := src.definitions()
	if len(defs) < 20 {
		t.Fatalf("found only %d definitions: the test no longer reads them", len(defs))
	}
	seenUnresolved := map[string]bool{}
	for _, f := range src.files {
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			fn := funcName(fd)
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || (sel.Sel.Name != "Send" && sel.Sel.Name != "Series" && sel.Sel.Name != "SendTags") {
					return true
				}
				recv := sel.X
				if ix, ok := recv.(*ast.IndexExpr); ok {
					recv = ix.X // livenessNodes[st]
				}
				id, ok := recv.(*ast.Ident)
				var d defInfo
				if ok {
					d, ok = defs[id.Name]
				}
				if !ok {
					if _, isSeries := recv.(*ast.Ident); isSeries && sel.Sel.Name == "Send" && isLocalSeries(fd, recv.(*ast.Ident).Name) {
						return true // an emit.GaugeSeries value: its tags were given to Series
					}
					key := fn + " " + exprText(sel.X)
					if _, listed := unresolvedSends[key]; !listed {
						t.Errorf("%s: %s: cannot tell which definition %s is; make it a package-level definition or list %q in unresolvedSends",
							src.fset.Position(call.Pos()), fn, exprText(sel.X), key)
					}
					seenUnresolved[key] = true
					return true
				}
				if sel.Sel.Name == "SendTags" {
					t.Errorf("%s: SendTags on registered definition %s: registered definitions have fixed keys", src.fset.Position(call.Pos()), id.Name)
					return true
				}
				if call.Ellipsis.IsValid() {
					t.Errorf("%s: tag values passed as a slice to %s.%s cannot be counted", src.fset.Position(call.Pos()), id.Name, sel.Sel.Name)
					return true
				}
				got := len(call.Args)
				if sel.Sel.Name == "Send" {
					got -= sendFixedArgs[d.kind]
				}
				if got != d.keys {
					t.Errorf("%s: %s.%s gives %d tag values, the definition has %d keys", src.fset.Position(call.Pos()), id.Name, sel.Sel.Name, got, d.keys)
				}
				return true
			})
		}
	}
	for key := range unresolvedSends {
		if !seenUnresolved[key] {
			t.Errorf("unresolvedSends lists %q, which no longer occurs: remove it", key)
		}
	}
}

// definitions finds the package-level definitions, by variable name.
func (src checksSource) definitions() map[string]defInfo {
	funcs := map[string]*ast.FuncDecl{}
	for _, f := range src.files {
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && fd.Recv == nil {
				funcs[fd.Name.Name] = fd
			}
		}
	}
	defs := map[string]defInfo{}
	// Twice: an Only may come before the definition it narrows.
	for range 2 {
		for _, f := range src.files {
			for _, decl := range f.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok || gd.Tok != token.VAR {
					continue
				}
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if i >= len(vs.Values) {
							continue
						}
						if d, ok := defOf(vs.Values[i], funcs, defs); ok {
							defs[name.Name] = d
						}
					}
				}
			}
		}
	}
	return defs
}

// isLocalSeries: name is a parameter of fd (or of a function literal in it)
// of type emit.GaugeSeries.
func isLocalSeries(fd *ast.FuncDecl, name string) bool {
	found := false
	check := func(fl *ast.FieldList) {
		if fl == nil {
			return
		}
		for _, field := range fl.List {
			if exprText(field.Type) != "emit.GaugeSeries" {
				continue
			}
			for _, n := range field.Names {
				if n.Name == name {
					found = true
				}
			}
		}
	}
	check(fd.Type.Params)
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if fl, ok := n.(*ast.FuncLit); ok {
			check(fl.Type.Params)
		}
		return true
	})
	return found
}

// defOf reads a definition from a package-level variable's initialiser:
// emit.<Kind>{...}.Register(check), a package function returning one (its
// keys from an emit.Keys argument, or from its body), a function literal
// building them, or <event>.Only(keys...).
func defOf(e ast.Expr, funcs map[string]*ast.FuncDecl, known map[string]defInfo) (defInfo, bool) {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return defInfo{}, false
	}
	if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Only" {
		if id, ok := sel.X.(*ast.Ident); ok {
			if base, ok := known[id.Name]; ok {
				return defInfo{kind: base.kind, keys: len(call.Args)}, true
			}
		}
		return defInfo{}, false
	}
	kind, keys, nKeys := "", 0, 0
	look := func(n ast.Node) {
		ast.Inspect(n, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CompositeLit:
				if t := exprText(x.Type); strings.HasPrefix(t, "emit.") && sendFixedArgs[strings.TrimPrefix(t, "emit.")] > 0 {
					kind = strings.TrimPrefix(t, "emit.")
				}
			case *ast.CallExpr:
				if exprText(x.Fun) == "emit.Keys" {
					keys = len(x.Args)
					nKeys++
				}
			}
			return true
		})
	}
	look(call)
	if id, ok := call.Fun.(*ast.Ident); ok && funcs[id.Name] != nil && kind == "" {
		// A helper: its Keys argument (nil: none) or the Keys in its body.
		argKeys := nKeys
		look(funcs[id.Name].Body)
		if argKeys > 0 {
			nKeys = argKeys
		}
	}
	if kind == "" || nKeys > 1 {
		return defInfo{}, false
	}
	return defInfo{kind: kind, keys: keys}, true
}

func exprText(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		return exprText(x.X) + "." + x.Sel.Name
	case *ast.StarExpr:
		return "*" + exprText(x.X)
	case *ast.IndexExpr:
		return exprText(x.X) + "[" + exprText(x.Index) + "]"
	}
	return "?"
}

// TestCatalogDefinitions: the catalog is what the definitions registered,
// and every definition is sent somewhere: a registered name nothing sends
// would be a catalog promise (dashboards, monitors, the README) that no
// code keeps.
func TestCatalogDefinitions(t *testing.T) {
	t.Parallel()
	src := parseChecksSource(t)
	// Identifiers referenced outside their own declaration.
	refs := map[string]int{}
	for _, f := range src.files {
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && fd.Body != nil {
				ast.Inspect(fd.Body, func(n ast.Node) bool {
					if id, ok := n.(*ast.Ident); ok {
						refs[id.Name]++
					}
					return true
				})
			}
			if gd, ok := decl.(*ast.GenDecl); ok && gd.Tok == token.VAR {
				// References from other variables (ttlTableMetrics,
				// schemaSummaryEvent) count too.
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					for _, v := range vs.Values {
						ast.Inspect(v, func(n ast.Node) bool {
							if id, ok := n.(*ast.Ident); ok {
								refs[id.Name]++
							}
							return true
						})
					}
				}
			}
		}
	}
	var unused []string
	for name := range src.definitions() {
		if refs[name] == 0 {
			unused = append(unused, name)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		t.Errorf("definitions registered but never sent: %v", unused)
	}
	// Every entry of the catalog comes from this package's registrations,
	// each with a check and a description.
	for _, m := range Catalog() {
		if m.Check == "" || m.Description == "" {
			t.Errorf("catalog entry %s (%s) lacks a check or a description", m.Name, m.Kind)
		}
	}
}
