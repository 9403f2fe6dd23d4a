package checks_test

import (
	"testing"

	"github.com/roachdog/roachdog/checks"
)

func TestParsePattern(t *testing.T) {
	exact, re, err := checks.ParsePattern("sql_mem_root_current")
	if err != nil || exact != "sql_mem_root_current" || re != nil {
		t.Errorf("exact: %q %v %v", exact, re, err)
	}
	exact, re, err = checks.ParsePattern("/^sql_mem_.*_current$/")
	if err != nil || exact != "" || re == nil || !re.MatchString("sql_mem_admin_current") || re.MatchString("sql_mem_admin_max") {
		t.Errorf("regex: %q %v %v", exact, re, err)
	}
	if _, re, _ := checks.ParsePattern("/rocksdb_/"); re == nil || !re.MatchString("x_rocksdb_y") {
		t.Errorf("unanchored regex should match anywhere")
	}
}
